import { configOrExit } from '@tally/config';
import { runService } from '@tally/streaming';
import { loadConfig } from './config.js';
import { startQueueAdmitter } from './service.js';

const service = await startQueueAdmitter(configOrExit('queue-admitter', () => loadConfig()));
runService(service.logger, service.resources);
