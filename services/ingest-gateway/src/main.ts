import { configOrExit } from '@tally/config';
import { runService } from '@tally/streaming';
import { gatewayConfig } from './config.js';
import { startIngestGateway } from './service.js';

const gateway = await startIngestGateway(configOrExit('ingest-gateway', () => gatewayConfig()));
runService(gateway.logger, gateway.resources);
