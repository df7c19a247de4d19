import { runServiceMain } from '@tally/service-kit';
import { loadConfig } from './config.js';
import { startWalletLedger } from './service.js';

await runServiceMain('wallet-ledger', loadConfig, startWalletLedger);
