import { ConfigError } from '@tally/config';
import { runService } from '@tally/streaming';
import { gatewayConfig } from './config.js';
import { startIngestGateway } from './service.js';

let config;
try {
  config = gatewayConfig();
} catch (error) {
  // one line per bad variable, no stack: the operator fixes the deployment, not the code
  if (!(error instanceof ConfigError)) throw error;
  console.error(`ingest-gateway: ${error.message}`);
  process.exit(1);
}
const gateway = await startIngestGateway(config);
runService(gateway.logger, gateway.resources);
