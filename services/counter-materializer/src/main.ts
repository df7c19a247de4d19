import { runServiceMain } from '@tally/service-kit';
import { loadConfig } from './config.js';
import { startCounterMaterializer } from './service.js';

await runServiceMain('counter-materializer', loadConfig, startCounterMaterializer);
