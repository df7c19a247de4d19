import { runServiceMain } from '@tally/service-kit';
import { loadConfig } from './config.js';
import { startViewerAggregator } from './service.js';

await runServiceMain('viewer-aggregator', loadConfig, startViewerAggregator);
