import { configOrExit } from '@tally/config';
import { runService } from '@tally/streaming';
import { loadConfig } from './config.js';
import { startWalletLedger } from './service.js';

const service = await startWalletLedger(configOrExit('wallet-ledger', () => loadConfig()));
runService(service.logger, service.resources);
