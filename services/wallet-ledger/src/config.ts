import { env, parseConfig, type ParsedConfig } from '@tally/config';
import { TOPICS } from '@tally/contracts';
import { consumingServiceShape } from '@tally/service-kit';

export const configShape = {
  ...consumingServiceShape({ name: 'wallet-ledger', port: 8093, schema: 'wallet_ledger' }),
  WALLET_COMMANDS_TOPIC: env.string(TOPICS.walletCommands.name),
  WALLET_OUTCOMES_TOPIC: env.string(TOPICS.walletOutcomes.name),
};

export type WalletLedgerConfig = ParsedConfig<typeof configShape>;

export const loadConfig = (source: NodeJS.ProcessEnv = process.env) => parseConfig(configShape, source);
