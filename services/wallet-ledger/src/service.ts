import { fileURLToPath } from 'node:url';
import { TOPICS } from '@tally/contracts';
import type { AssetCatalogue } from '@tally/money';
import type { TopicCodec, WalletOutcome } from '@tally/schemas';
import { writeConflicts, type Logger } from '@tally/observability';
import { startConsumingService, type RunningService } from '@tally/service-kit';
import { consumerLag, type ServiceResource, type TypedProducer } from '@tally/streaming';
import type { Kafka } from 'kafkajs';
import { walletRoutes } from './adapters/http.js';
import { LedgerStore } from './adapters/postgres-ledger.js';
import type { WalletLedgerConfig } from './config.js';
import type { AssetLimits } from './domain/ledger.js';
import { expireDueHolds, expiryWatermark, toOutcome, walletCommandHandler } from './wallet-ledger.js';

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
    wire: ({ pool, producer, codec, logger, metrics, kafka }) => {
      const store = new LedgerStore(pool, config.DB_SCHEMA);
      const outcomes = codec(config.WALLET_OUTCOMES_TOPIC, TOPICS.walletOutcomes);
      return {
        codecs: [codec(config.WALLET_COMMANDS_TOPIC, TOPICS.walletCommands)],
        handler: walletCommandHandler({ store, producer, outcomes, limits, conflicts: writeConflicts(metrics) }),
        routes: walletRoutes({ store, now, assets: config.ASSETS }),
        loops: async () => [await holdExpiry({ store, producer, outcomes, limits, now, logger, config, kafka })],
        exposed: store,
      };
    },
  });
  return { ...service, store };
}

/**
 * Releases holds nobody captured or released, HOLD_EXPIRY_GRACE_MS after their time, every HOLD_EXPIRY_TICK_MS;
 * never past where the commands topic has been applied (expiryWatermark), so a replay or rebuild expires what the
 * live run expired and nothing sooner. The state is in Postgres, so a restart (a SIGKILL included) finds every
 * due hold and expires it; several instances may run it, since each expiry locks the owner's account and reads
 * the hold again first.
 */
async function holdExpiry(deps: {
  store: LedgerStore;
  producer: TypedProducer;
  outcomes: TopicCodec<WalletOutcome>;
  limits: AssetLimits;
  now: () => number;
  logger: Logger;
  config: WalletLedgerConfig;
  kafka: Kafka;
}): Promise<ServiceResource> {
  const { config } = deps;
  const admin = deps.kafka.admin();
  await admin.connect();
  let stopped = false;
  let running = false;
  let round: Promise<void> = Promise.resolve();
  const dueAt = async () => {
    const [lag, progress] = await Promise.all([
      consumerLag(admin, config.CONSUMER_GROUP, [config.WALLET_COMMANDS_TOPIC]),
      deps.store.progress(),
    ]);
    return expiryWatermark(deps.now(), config.HOLD_EXPIRY_GRACE_MS, lag, progress);
  };
  const expireDue = async () => {
    const until = await dueAt();
    for (;;) {
      const expired = await expireDueHolds(deps.store, until, deps.limits);
      if (expired.length === 0) return;
      await deps.producer.sendAll(
        deps.outcomes,
        expired.map((entry) => ({ key: entry.userId, value: toOutcome(entry) })),
      );
      if (stopped) return;
    }
  };
  // one round at a time: a slow round delays the next instead of piling rounds up behind it
  const ticker = setInterval(() => {
    if (running) return;
    running = true;
    round = expireDue()
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'hold expiry failed'))
      .finally(() => (running = false));
  }, config.HOLD_EXPIRY_TICK_MS);
  return {
    name: 'hold-expiry',
    close: async () => {
      stopped = true;
      clearInterval(ticker);
      await round;
      await admin.disconnect();
    },
  };
}
