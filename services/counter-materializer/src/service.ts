import { fileURLToPath } from 'node:url';
import { TOPICS } from '@tally/contracts';
import { offsetFenceMigrations, seqWindowMigrations } from '@tally/idempotency';
import { startConsumingService, type RunningService } from '@tally/service-kit';
import { topicPartitions } from '@tally/streaming';
import { counterRoutes } from './adapters/http.js';
import { CounterStore } from './adapters/postgres-counters.js';
import { PostgresReads } from './adapters/postgres-reads.js';
import { CountsProjection } from './adapters/redis-projection.js';
import type { PartitionEvents } from './apply-item-events.js';
import type { CounterMaterializerConfig } from './config.js';
import { FlushLanes, Flusher } from './flusher.js';
import { Maintenance, itemEventHandler, writeThenProject } from './materializer.js';

export interface RunningMaterializer extends RunningService {
  /** Runs the maintenance tick now (tests move their clock and want windows slid without waiting). */
  maintain: () => Promise<void>;
}

const migrations = fileURLToPath(new URL('../migrations', import.meta.url));

/** Config → adapters → runtime. `now` is injectable so tests can slide windows through simulated hours. */
export async function startCounterMaterializer(
  config: CounterMaterializerConfig,
  now: () => number = Date.now,
): Promise<RunningMaterializer> {
  const { exposed: maintain, ...service } = await startConsumingService({
    name: 'counter-materializer',
    config,
    migrations: [{ dir: migrations }, offsetFenceMigrations, seqWindowMigrations],
    redis: true,
    wire: async ({ pool, redis, kafka, logger, codec, assignedPartitions }) => {
      const store = new CounterStore(pool, config.DB_SCHEMA, config.CONSUMER_GROUP);
      const projection = new CountsProjection(redis, config.REDIS_PREFIX);
      const fallback = new PostgresReads(pool, config.DB_SCHEMA);
      const graces = { '1h': config.RANKING_1H_GRACE_SECONDS * 1000, '24h': config.RANKING_24H_GRACE_SECONDS * 1000 };
      const write = writeThenProject(store, projection, now);
      const flusher = new FlushLanes(
        Array.from(
          { length: config.FLUSH_LANES },
          () => new Flusher<PartitionEvents>(write, config.FLUSH_LINGER_MS, config.FLUSH_MAX_EVENTS),
        ),
        (batch) => batch.partition,
      );
      const partitions = await topicPartitions(kafka, config.ITEM_EVENTS_TOPIC);
      const maintenance = new Maintenance({
        store,
        projection,
        flusher,
        owned: () => assignedPartitions(config.ITEM_EVENTS_TOPIC),
        now,
        logger,
        graces,
        seqArchiveRetentionMs: config.SEQ_ARCHIVE_RETENTION_HOURS * 3_600_000,
      });
      const maintain = () => maintenance.tick();
      return {
        codecs: [codec(config.ITEM_EVENTS_TOPIC, TOPICS.itemEvents)],
        handler: itemEventHandler(flusher, graces),
        // every partition consumed at once hands in its share of a full flush, so when all have, the flush is full
        // and goes at once (with 1,000-record chunks, 12 partitions never filled one)
        maxRecordsPerCommit: Math.ceil(config.FLUSH_MAX_EVENTS / config.CONSUMER_CONCURRENCY),
        routes: counterRoutes({ projection, fallback, partitions, now }),
        loops: () => {
          const ticker = setInterval(
            () => void maintain().catch((error: unknown) => logger.warn({ err: error }, 'maintenance tick failed')),
            config.MAINTENANCE_TICK_MS,
          );
          return [{ name: 'maintenance', close: async () => clearInterval(ticker) }];
        },
        exposed: maintain,
      };
    },
  });
  return { ...service, maintain };
}
