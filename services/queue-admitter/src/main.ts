import { runServiceMain } from '@tally/service-kit';
import { loadConfig } from './config.js';
import { startQueueAdmitter } from './service.js';

await runServiceMain('queue-admitter', loadConfig, startQueueAdmitter);
