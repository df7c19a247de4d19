import { runServiceMain } from '@tally/service-kit';
import { loadConfig } from './config.js';
import { startVoteMerger } from './service.js';

await runServiceMain('vote-merger', loadConfig, startVoteMerger);
