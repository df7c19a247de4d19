import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import { TOPICS } from '@tally/contracts';
import { offsetFenceMigrations } from '@tally/idempotency';
import { createLogger, writeConflicts } from '@tally/observability';
import { startConsumingService, type RunningService } from '@tally/service-kit';
import { Serially, topicPartitions, type ServiceResource } from '@tally/streaming';
import { queueRoutes } from './adapters/http.js';
import { QueueStore } from './adapters/postgres-queues.js';
import { QueueProjection } from './adapters/redis-queues.js';
import type { QueueAdmitterConfig } from './config.js';
import { admissionTokens } from './domain/admission-token.js';
import {
  AdmissionProposer,
  queueCommandHandler,
  rebuildLostProjections,
  type AdmitterDeps,
  type ProposerDeps,
  type QueueRole,
} from './queue-admitter.js';

export type RunningAdmitter = RunningService;

const migrations = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Config → adapters → runtime. `now` is injectable so tests can make admissions expire without waiting: it is the
 * time of the decisions this instance proposes (applying the log reads no clock).
 */
export async function startQueueAdmitter(
  config: QueueAdmitterConfig,
  now: () => number = Date.now,
): Promise<RunningAdmitter> {
  const logger = createLogger('queue-admitter', config.LOG_LEVEL);
  if (config.signingKeys.usingDevelopmentKey) {
    logger.warn(
      { kid: config.signingKeys.keys[0]!.kid },
      'ADMISSION_SIGNING_KEYS is not set: signing admission tokens with the development key, which anyone can sign with; production refuses to start like this',
    );
  }
  const tokens = await admissionTokens(config.signingKeys.keys, config.ADMISSION_TOKEN_ISSUER);
  logger.info(
    { signingKid: config.signingKeys.keys[0]!.kid, publishedKids: tokens.jwks.keys.map((k) => k.kid) },
    'admission token keys',
  );
  const role: QueueRole = config.QUEUE_ROLE === 'follower' ? 'follower' : 'admitter';

  return startConsumingService({
    name: 'queue-admitter',
    config,
    logger,
    migrations: [{ dir: migrations }, offsetFenceMigrations],
    redis: true,
    readyDetails: { role },
    wire: async ({ pool, redis, kafka, producer, codec, metrics, assignedPartitions }) => {
      const store = new QueueStore(pool, config.DB_SCHEMA, {
        group: config.CONSUMER_GROUP,
        topic: config.QUEUE_COMMANDS_TOPIC,
        publishEvents: role === 'admitter',
      });
      const projection = new QueueProjection(redis, config.REDIS_PREFIX);
      const partitions = await topicPartitions(kafka, config.QUEUE_COMMANDS_TOPIC);
      const commands = codec(config.QUEUE_COMMANDS_TOPIC, TOPICS.queueCommands);
      const deps: AdmitterDeps = {
        store,
        projection,
        producer,
        events: codec(config.QUEUE_EVENTS_TOPIC, TOPICS.queueEvents),
        role,
        serially: new Serially(),
        now,
        logger,
        conflicts: writeConflicts(metrics),
      };
      return {
        codecs: [commands],
        handler: queueCommandHandler(deps),
        routes: queueRoutes({ store, projection, partitions, tokens, now, roundMs: config.ADMISSION_TICK_MS }),
        loops: async () => [
          await admissionRounds(
            config,
            kafka,
            deps,
            { store, producer, commands, now, logger, seen: projection },
            assignedPartitions,
          ),
        ],
      };
    },
  });
}

/**
 * Each round rebuilds what Redis lost of the partitions this instance owns and, for the admitter, proposes
 * decisions from their end offsets (one admin request a round); a follower proposes nothing. One round at a
 * time: a slow round delays the next instead of overlapping it. Closing lets the round under way finish.
 */
async function admissionRounds(
  config: QueueAdmitterConfig,
  kafka: Kafka,
  deps: AdmitterDeps,
  proposing: Omit<ProposerDeps, 'endOffsets' | 'maxLag'>,
  assignedPartitions: (topic: string) => number[],
): Promise<ServiceResource> {
  const admin = deps.role === 'admitter' ? kafka.admin() : undefined;
  await admin?.connect();
  const proposer = admin
    ? new AdmissionProposer({
        ...proposing,
        maxLag: config.ADMISSION_MAX_LAG,
        endOffsets: async () =>
          new Map(
            (await admin.fetchTopicOffsets(config.QUEUE_COMMANDS_TOPIC)).map((p) => [p.partition, Number(p.high)]),
          ),
      })
    : undefined;

  let stopped = false;
  let round: Promise<void> = Promise.resolve();
  const loop = async () => {
    while (!stopped) {
      const owned = assignedPartitions(config.QUEUE_COMMANDS_TOPIC);
      round = (async () => {
        await rebuildLostProjections(deps, owned);
        await proposer?.round(owned);
      })().catch((error: unknown) => deps.logger.warn({ err: error }, 'admission round failed'));
      await round;
      await new Promise((r) => setTimeout(r, config.ADMISSION_TICK_MS));
    }
  };
  void loop();

  // stopped after HTTP, before the consumer finishes its batch
  return {
    name: 'admissions',
    close: async () => {
      stopped = true;
      await round;
      await admin?.disconnect();
    },
  };
}
