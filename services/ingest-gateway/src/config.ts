import {
  env,
  parseConfigWithSecrets,
  platformShape,
  withRules,
  type ConfigRule,
  type ParsedConfig,
} from '@tally/config';
import { AssetCatalogue, DEFAULT_ASSETS } from '@tally/money';
import {
  DEFAULT_REGIONS,
  REGIONAL_TOPICS,
  REGION_PLACEHOLDER,
  TOPICS,
  parseStreamShards,
  regionalTopicName,
} from '@tally/contracts';
import type { CorsOrigins } from './adapters/http/cors.js';
import { chooseApiKeys, type ChosenKeys } from './domain/api-keys.js';
import { chooseTicketKey, type ChosenTicketKey } from './domain/ticket-key.js';
import { REGION_ID_PATTERN } from './domain/poll.js';

/**
 * "kr,jp": region ids, each once, so at least one (an empty value is unset, and a blank entry is no region id).
 * Every bad id is named, so one pass fixes them all.
 */
const regionList = (fallback: string) =>
  env
    .string(fallback)
    .transform((text) => text.split(',').map((region) => region.trim()))
    .superRefine((regions, context) => {
      const bad = regions.filter((region) => !REGION_ID_PATTERN.test(region));
      if (bad.length > 0)
        context.addIssue({
          code: 'custom',
          message: `${bad.map((region) => JSON.stringify(region)).join(', ')} ${bad.length === 1 ? 'is not a region id' : 'are not region ids'} (${REGION_ID_PATTERN.source})`,
        });
      const repeated = new Set(
        regions.filter((region, i) => REGION_ID_PATTERN.test(region) && regions.indexOf(region) !== i),
      );
      if (repeated.size > 0)
        context.addIssue({ code: 'custom', message: `names ${[...repeated].join(', ')} more than once` });
    });

/**
 * Why `origin` is not one a browser would send in its Origin header (`scheme://host[:port]`, http or https, the
 * host in lower case, no default port, nothing after it), or undefined when it is one. Origins are compared as
 * text, so one written any other way would never match: it is refused with the way to write it.
 */
function originProblem(origin: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(origin)) return 'is not an origin: it has no scheme (https:// or http://)';
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'is not an origin: not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return 'is not an origin: the scheme must be https or http';
  if (url.origin === origin) return undefined;
  const more =
    url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '';
  if (more || origin.endsWith('/'))
    return `is not an origin: it has a path, query or trailing slash (only scheme://host[:port], here ${url.origin})`;
  return `is not an origin as browsers send it: write ${url.origin}`;
}

/**
 * "https://shop.example,http://127.0.0.1:5173": exact origins, each once, or "*" alone for any; unset or empty,
 * none. Every bad origin is named, so one pass fixes them all.
 */
const corsOrigins = () =>
  env
    .string('')
    .transform((text) =>
      text
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin.length > 0),
    )
    .superRefine((origins, context) => {
      const problem = (message: string) => context.addIssue({ code: 'custom', message });
      if (origins.includes('*')) {
        if (origins.length > 1) problem('"*" (any origin) stands alone, not beside other origins');
        return;
      }
      for (const origin of origins) {
        const why = originProblem(origin);
        if (why !== undefined) problem(`${JSON.stringify(origin)} ${why}`);
      }
      const repeated = new Set(
        origins.filter((origin, i) => originProblem(origin) === undefined && origins.indexOf(origin) !== i),
      );
      if (repeated.size > 0) problem(`names ${[...repeated].join(', ')} more than once`);
    })
    .transform((origins): CorsOrigins => (origins.includes('*') ? '*' : origins));

const KAFKA_TOPIC_CHARSET = /^[A-Za-z0-9._-]+$/;

/** A topic name with {region} in it: without it every region's ballots would share one topic. */
const ballotsTopicTemplate = (fallback: string) =>
  env
    .string(fallback)
    .refine((template) => template.includes(REGION_PLACEHOLDER), { error: `must contain ${REGION_PLACEHOLDER}` })
    // checked here rather than at the first vote, which would otherwise answer 503 until the deployment is fixed
    .refine((template) => KAFKA_TOPIC_CHARSET.test(regionalTopicName(template, 'r')), {
      error: `must otherwise be a Kafka topic name (A-Z a-z 0-9 . _ -)`,
    });

/**
 * KAFKA_ACK_TIMEOUT_MS and WALLET_WAIT_MS were two deadlines of one write; WRITE_DEADLINE_MS replaced both. A
 * deployment that still sets them is told so, rather than having its setting ignored without a word.
 */
const retiredByWriteDeadline: ConfigRule = {
  reads: [],
  apply: (_values, source) => ({
    problems: ['KAFKA_ACK_TIMEOUT_MS', 'WALLET_WAIT_MS']
      .filter((name) => source[name] !== undefined && source[name] !== '')
      .map((name) => `${name}: no longer read; WRITE_DEADLINE_MS is the one deadline of a write (ms) and replaced it`),
  }),
};

export const gatewayShape = {
  ...platformShape,
  KAFKA_CLIENT_ID: env.string('ingest-gateway'),
  PORT: env.port(8080),
  HOST: env.string('0.0.0.0'),
  VIEWER_AGGREGATOR_URL: env.url(['http', 'https'], 'http://127.0.0.1:8091'),
  COUNTER_MATERIALIZER_URL: env.url(['http', 'https'], 'http://127.0.0.1:8092'),
  WALLET_LEDGER_URL: env.url(['http', 'https'], 'http://127.0.0.1:8093'),
  QUEUE_ADMITTER_URL: env.url(['http', 'https'], 'http://127.0.0.1:8094'),
  /** The vote-merger instance serving this gateway's region: it answers the global results. */
  VOTE_RESULTS_URL: env.url(['http', 'https'], 'http://127.0.0.1:8095'),
  /** Requests per second per API key, whatever the route. */
  RATE_LIMIT_PER_SECOND: env.integer({ min: 1, fallback: 5000 }),
  /** Requests per second per client address without a valid key: public reads, ticket reads, refused keys. */
  ADDRESS_RATE_LIMIT_PER_SECOND: env.integer({ min: 1, fallback: 100 }),
  /** Open connections per client address; one more is answered 429 and closed. */
  CONNECTIONS_PER_ADDRESS: env.integer({ min: 1, max: 1_000_000, fallback: 512 }),
  /**
   * Addresses or CIDRs of the load balancers in front of the gateway (comma separated), whose X-Forwarded-For
   * names the client; unset, the socket's peer is the client (and X-Forwarded-For is ignored, as anyone can send it).
   */
  TRUSTED_PROXIES: env.string('').transform((text) =>
    text
      .split(',')
      .map((proxy) => proxy.trim())
      .filter((proxy) => proxy.length > 0),
  ),
  /**
   * The origins whose browser pages may call the API (comma separated), exactly as a browser sends them in Origin:
   * `scheme://host[:port]`, e.g. `https://shop.example,http://127.0.0.1:5173`; or `*` for any origin. Unset or
   * empty: no CORS headers at all, so browsers allow only pages served by the gateway's own origin.
   */
  CORS_ORIGINS: corsOrigins(),
  /** Live console event streams one key may hold open at once. */
  CONSOLE_STREAMS_PER_KEY: env.integer({ min: 1, max: 10_000, fallback: 10 }),
  /**
   * The one deadline of a write request, from when its handler starts (the request read and checked) to its
   * answer. Every step of the write path shares it: connecting to Kafka, Kafka's acknowledgement (acks=all) and,
   * with `?wait=true`, the wait for the ledger's outcome. A write not acknowledged by then is answered 503 (the
   * client retries with the same source and seq) and is never sent later; an acknowledged `?wait=true` with no
   * outcome by then is answered 202 pending. The producer gives up on a batch after as long, since by then no
   * request waits for it any more.
   */
  WRITE_DEADLINE_MS: withRules(env.integer({ min: 50, max: 60_000, fallback: 5000 }), retiredByWriteDeadline),
  /**
   * The assets the ledger counts, as JSON: `{"KRW":{"scale":0},"points":{"scale":2,"maxBalance":"1000000.00"}}`
   * (scale: decimal places; maxAmount: the largest single amount; "*": any asset). The gateway refuses a write of
   * any other asset, or an amount with more places or above maxAmount (400); set the same value on the ledger.
   */
  ASSETS: env.parsed(AssetCatalogue.parse, DEFAULT_ASSETS),
  /** How long a routed read may wait for the owning service. */
  READ_TIMEOUT_MS: env.integer({ min: 50, max: 60_000, fallback: 3000 }),
  HEARTBEATS_TOPIC: env.string(TOPICS.viewerHeartbeats.name),
  /**
   * Hot streams spread over shards: `<streamId>=<shards>[@<from>]`, comma separated (@tally/contracts'
   * viewer-shards.ts). A sharded stream's heartbeats are keyed `<streamId>#<shard of the session>`, so one stream
   * uses many partitions. Set the same value on viewer-aggregator.
   */
  VIEWER_STREAM_SHARDS: env.parsed(parseStreamShards, ''),
  ITEM_EVENTS_TOPIC: env.string(TOPICS.itemEvents.name),
  WALLET_COMMANDS_TOPIC: env.string(TOPICS.walletCommands.name),
  WALLET_OUTCOMES_TOPIC: env.string(TOPICS.walletOutcomes.name),
  QUEUE_COMMANDS_TOPIC: env.string(TOPICS.queueCommands.name),
  /** The regions this deployment takes votes for: one ballots topic each, and the only ones a poll may weigh. */
  VOTE_REGIONS: regionList(DEFAULT_REGIONS.join(',')),
  VOTE_BALLOTS_TOPIC_TEMPLATE: ballotsTopicTemplate(REGIONAL_TOPICS.ballots.template),
  POLL_DEFINITIONS_TOPIC: env.string(TOPICS.pollDefinitions.name),
  /** Change topics the console shows live. */
  VIEWER_COUNTS_TOPIC: env.string(TOPICS.viewerCounts.name),
  QUEUE_EVENTS_TOPIC: env.string(TOPICS.queueEvents.name),
  VOTE_RESULTS_TOPIC: env.string(TOPICS.voteResults.name),
  /** The side topics every consumer writes (dead letters, late records), whose records the console counts. */
  DLQ_TOPIC: env.string(TOPICS.deadLetters.name),
  LATE_TOPIC: env.string(TOPICS.late.name),
  /**
   * The consumer groups whose lag the console shows (comma separated): by default every service's default group.
   * Beside each, the console counts the group's records on the side topics, DLQ_TOPIC and LATE_TOPIC (the
   * platform's, as every consumer writes them).
   */
  CONSOLE_LAG_GROUPS: env
    .string(
      [
        'viewer-aggregator',
        'counter-materializer',
        'wallet-ledger',
        'queue-admitter',
        'vote-merger.merger',
        ...DEFAULT_REGIONS.map((region) => `vote-merger.${region}`),
      ].join(','),
    )
    .transform((text) =>
      text
        .split(',')
        .map((group) => group.trim())
        .filter((group) => group.length > 0),
    ),
};

export type GatewayConfig = ParsedConfig<typeof gatewayShape> & { apiKeys: ChosenKeys; ticketKey: ChosenTicketKey };

/**
 * Everything the gateway reads from the environment, every problem reported at once. API_KEYS and TICKET_KEY
 * are read apart from parseConfig because that one quotes bad values, and these are secrets.
 */
export function gatewayConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return parseConfigWithSecrets<typeof gatewayShape, { apiKeys: ChosenKeys; ticketKey: ChosenTicketKey }>(
    gatewayShape,
    source,
    {
      apiKeys: ['API_KEYS', chooseApiKeys],
      ticketKey: ['TICKET_KEY', chooseTicketKey],
    },
  );
}
