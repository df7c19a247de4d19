import { configOrExit } from '@tally/config';
import { runService } from '@tally/streaming';
import { loadConfig } from './config.js';
import { startCounterMaterializer } from './service.js';

const service = await startCounterMaterializer(configOrExit('counter-materializer', () => loadConfig()));
runService(service.logger, service.resources);
