import { env, parseConfig, type ParsedConfig } from '@tally/config';
import { TOPICS } from '@tally/contracts';
import { AssetCatalogue, DEFAULT_ASSETS } from '@tally/money';
import { consumingServiceShape } from '@tally/service-kit';

export const configShape = {
  ...consumingServiceShape({ name: 'wallet-ledger', port: 8093, schema: 'wallet_ledger' }),
  WALLET_COMMANDS_TOPIC: env.string(TOPICS.walletCommands.name),
  WALLET_OUTCOMES_TOPIC: env.string(TOPICS.walletOutcomes.name),
  /** The assets counted, their scale and limits: the same value as the gateway's (see docs/API.md). */
  ASSETS: env.parsed(AssetCatalogue.parse, DEFAULT_ASSETS),
  /** How often the expiry loop looks for holds past their time. */
  HOLD_EXPIRY_TICK_MS: env.integer({ min: 50, max: 60_000, fallback: 1_000 }),
  /**
   * How long past its expiresAt a hold is left before the loop releases it: a capture the gateway accepted just
   * before the deadline, still on its way to Kafka (up to the gateway's WRITE_DEADLINE_MS), finds it pending.
   */
  HOLD_EXPIRY_GRACE_MS: env.integer({ min: 0, max: 3_600_000, fallback: 5_000 }),
};

export type WalletLedgerConfig = ParsedConfig<typeof configShape>;

export const loadConfig = (source: NodeJS.ProcessEnv = process.env) => parseConfig(configShape, source);
