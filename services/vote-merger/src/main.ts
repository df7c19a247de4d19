import { configOrExit } from '@tally/config';
import { runService } from '@tally/streaming';
import { loadConfig } from './config.js';
import { startVotes } from './service.js';

const service = await startVotes(configOrExit('vote-merger', () => loadConfig()));
runService(service.logger, service.resources);
