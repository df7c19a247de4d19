import { fileURLToPath } from 'node:url';
import { TOPICS } from '@tally/contracts';
import type { AssetCatalogue } from '@tally/money';
import type { TopicCodec, WalletCommand } from '@tally/schemas';
import { writeConflicts, type Logger } from '@tally/observability';
import { startConsumingService, type RunningService } from '@tally/service-kit';
import type { ServiceResource, TypedProducer } from '@tally/streaming';
import { walletRoutes } from './adapters/http.js';
import { LedgerStore } from './adapters/postgres-ledger.js';
import type { WalletLedgerConfig } from './config.js';
import type { AssetLimits } from './domain/ledger.js';
import { proposeExpiries, walletCommandHandler } from './wallet-ledger.js';

export interface RunningLedger extends RunningService {
  store: LedgerStore;
}

const migrations = fileURLToPath(new URL('../migrations', import.meta.url));

export const assetLimits =
  (catalogue: AssetCatalogue): AssetLimits =>
  (asset) =>
    catalogue.rule(asset);

/**
 * Config → adapters → runtime. No Redis: Postgres is the source of truth and answers reads by primary key,
 * so there is no cache to lose or to rebuild.
 */
export async function startWalletLedger(
  config: WalletLedgerConfig,
  now: () => number = Date.now,
): Promise<RunningLedger> {
  const limits = assetLimits(config.ASSETS);
  const { exposed: store, ...service } = await startConsumingService({
    name: 'wallet-ledger',
    config,
    migrations: [{ dir: migrations }],
    redis: false,
    wire: ({ pool, producer, codec, logger, metrics }) => {
      const store = new LedgerStore(pool, config.DB_SCHEMA);
      const outcomes = codec(config.WALLET_OUTCOMES_TOPIC, TOPICS.walletOutcomes);
      const commands = codec(config.WALLET_COMMANDS_TOPIC, TOPICS.walletCommands);
      return {
        codecs: [commands],
        handler: walletCommandHandler({ store, producer, outcomes, limits, conflicts: writeConflicts(metrics) }),
        routes: walletRoutes({ store, now, assets: config.ASSETS }),
        loops: () => [holdExpiry({ store, producer, commands, now, logger, config })],
        exposed: store,
      };
    },
  });
  return { ...service, store };
}

/**
 * Proposes the expiry of holds nobody captured or released, HOLD_EXPIRY_GRACE_MS after their time, every
 * HOLD_EXPIRY_TICK_MS: an EXPIRY command through the commands topic (proposeExpiries), applied when it is read,
 * so the log orders each expiry against the captures around it for every replay. The holds are in Postgres, so a
 * restart (a SIGKILL included) finds every due one and proposes it again; several instances may propose the
 * same expiry, which a settled hold ignores.
 */
function holdExpiry(deps: {
  store: LedgerStore;
  producer: TypedProducer;
  commands: TopicCodec<WalletCommand>;
  now: () => number;
  logger: Logger;
  config: WalletLedgerConfig;
}): ServiceResource {
  const proposed = new Map<string, number>();
  let running = false;
  let round: Promise<unknown> = Promise.resolve();
  // one round at a time: a slow round delays the next instead of piling rounds up behind it
  const ticker = setInterval(() => {
    if (running) return;
    running = true;
    const now = deps.now();
    round = proposeExpiries(deps, now - deps.config.HOLD_EXPIRY_GRACE_MS, proposed, now)
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'proposing hold expiries failed'))
      .finally(() => (running = false));
  }, deps.config.HOLD_EXPIRY_TICK_MS);
  return {
    name: 'hold-expiry',
    close: async () => {
      clearInterval(ticker);
      await round;
    },
  };
}
