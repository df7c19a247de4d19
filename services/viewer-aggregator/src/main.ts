import { configOrExit } from '@tally/config';
import { runService } from '@tally/streaming';
import { loadConfig } from './config.js';
import { startViewerAggregator } from './service.js';

const service = await startViewerAggregator(configOrExit('viewer-aggregator', () => loadConfig()));
runService(service.logger, service.resources);
