import { fileURLToPath } from 'node:url';
import { TOPICS } from '@tally/contracts';
import { offsetFenceMigrations, seqWindowMigrations } from '@tally/idempotency';
import { startConsumingService, type RunningService } from '@tally/service-kit';
import { CountPublisher } from './adapters/count-publisher.js';
import { viewerRoutes } from './adapters/http.js';
import { HistoryStore } from './adapters/postgres-history.js';
import { ViewerStore } from './adapters/redis-viewers.js';
import { heartbeatHandler } from './aggregator.js';
import type { ViewerAggregatorConfig } from './config.js';

export type RunningAggregator = RunningService;

const migrations = fileURLToPath(new URL('../migrations', import.meta.url));
const SEQ_ARCHIVE_PRUNE_MS = 10 * 60_000;

/** Config → adapters → runtime. `now` is injectable so tests can run minutes of simulated time. */
export async function startViewerAggregator(
  config: ViewerAggregatorConfig,
  now: () => number = Date.now,
): Promise<RunningAggregator> {
  return startConsumingService({
    name: 'viewer-aggregator',
    config,
    migrations: [{ dir: migrations }, offsetFenceMigrations, seqWindowMigrations],
    redis: true,
    wire: ({ pool, redis, producer, codec, logger, assignedPartitions }) => {
      const windowMs = config.VIEWER_WINDOW_SECONDS * 1000;
      const clockToleranceMs = config.VIEWER_CLOCK_TOLERANCE_SECONDS * 1000;
      const shards = config.VIEWER_STREAM_SHARDS;
      const viewers = new ViewerStore(redis, config.REDIS_PREFIX, windowMs, clockToleranceMs, shards);
      const history = new HistoryStore(pool, config.DB_SCHEMA, config.VIEWER_WINDOW_SECONDS);
      const counts = new CountPublisher(producer, codec(config.COUNTS_TOPIC, TOPICS.viewerCounts), windowMs);

      // sessions leave the window without any new record: re-read the recently active streams and publish changes
      const expire = () => {
        const at = now();
        const streams = counts.activeStreams(at);
        void Promise.all(streams.map(async (s) => [s, await viewers.currentViewers(s, at)] as const))
          .then((read) => counts.publish(new Map(read), at))
          .catch((error: unknown) => logger.warn({ err: error }, 'expiry tick failed'));
      };
      // blocks of applied seqs older than the retention are forgotten, for the partitions this instance owns
      const prune = () => {
        const scopes = assignedPartitions(config.HEARTBEATS_TOPIC).map((p) => `p${p}`);
        history
          .pruneSeqArchive(scopes, Date.now() - config.SEQ_ARCHIVE_RETENTION_HOURS * 3_600_000)
          .catch((error: unknown) => logger.warn({ err: error }, 'pruning the seq archive failed'));
      };

      return {
        codecs: [codec(config.HEARTBEATS_TOPIC, TOPICS.viewerHeartbeats)],
        handler: heartbeatHandler({
          viewers,
          history,
          counts,
          shards,
          group: config.CONSUMER_GROUP,
          historyGraceMs: config.HISTORY_GRACE_SECONDS * 1000,
          clockToleranceMs,
          now,
        }),
        routes: viewerRoutes({ viewers, history, windowSeconds: config.VIEWER_WINDOW_SECONDS, now }),
        loops: () => {
          const expiry = setInterval(expire, config.EXPIRY_TICK_MS);
          const pruning = setInterval(prune, SEQ_ARCHIVE_PRUNE_MS);
          pruning.unref();
          return [
            { name: 'expiry', close: async () => clearInterval(expiry) },
            { name: 'seq archive pruning', close: async () => clearInterval(pruning) },
          ];
        },
      };
    },
  });
}
