import { fileURLToPath } from 'node:url';
import { TOPICS } from '@tally/contracts';
import type { AssetCatalogue } from '@tally/money';
import type { TopicCodec, WalletOutcome } from '@tally/schemas';
import { writeConflicts, type Logger } from '@tally/observability';
import { startConsumingService, type RunningService } from '@tally/service-kit';
import type { ServiceResource, TypedProducer } from '@tally/streaming';
import { walletRoutes } from './adapters/http.js';
import { LedgerStore } from './adapters/postgres-ledger.js';
import type { WalletLedgerConfig } from './config.js';
import type { AssetLimits } from './domain/ledger.js';
import { expireDueHolds, toOutcome, walletCommandHandler } from './wallet-ledger.js';

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
      return {
        codecs: [codec(config.WALLET_COMMANDS_TOPIC, TOPICS.walletCommands)],
        handler: walletCommandHandler({ store, producer, outcomes, limits, conflicts: writeConflicts(metrics) }),
        routes: walletRoutes({ store, now, assets: config.ASSETS }),
        loops: () => [holdExpiry({ store, producer, outcomes, limits, now, logger, config })],
        exposed: store,
      };
    },
  });
  return { ...service, store };
}

/**
 * Releases holds nobody captured or released, HOLD_EXPIRY_GRACE_MS after their time, every HOLD_EXPIRY_TICK_MS.
 * The state is in Postgres, so a restart (a SIGKILL included) finds every due hold and expires it; several
 * instances may run it, since each expiry locks the owner's account and reads the hold again first.
 */
function holdExpiry(deps: {
  store: LedgerStore;
  producer: TypedProducer;
  outcomes: TopicCodec<WalletOutcome>;
  limits: AssetLimits;
  now: () => number;
  logger: Logger;
  config: WalletLedgerConfig;
}): ServiceResource {
  let stopped = false;
  let round: Promise<void> = Promise.resolve();
  const expireDue = async () => {
    for (;;) {
      const expired = await expireDueHolds(deps.store, deps.now() - deps.config.HOLD_EXPIRY_GRACE_MS, deps.limits);
      if (expired.length === 0) return;
      await deps.producer.sendAll(
        deps.outcomes,
        expired.map((entry) => ({ key: entry.userId, value: toOutcome(entry) })),
      );
      if (stopped) return;
    }
  };
  const ticker = setInterval(() => {
    round = round.then(expireDue).catch((error: unknown) => deps.logger.warn({ err: error }, 'hold expiry failed'));
  }, deps.config.HOLD_EXPIRY_TICK_MS);
  return {
    name: 'hold-expiry',
    close: async () => {
      stopped = true;
      clearInterval(ticker);
      await round;
    },
  };
}
