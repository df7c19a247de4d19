import { ConfigError, SQL_IDENTIFIER, env, parseConfig, type ParsedConfig } from '@tally/config';
import { DEFAULT_REGIONS, REGIONAL_TOPICS, REGION_PLACEHOLDER, TOPICS, regionalTopicName } from '@tally/contracts';
import { consumingServiceShape } from '@tally/service-kit';

/** Region ids name topics and Postgres schemas, so they are short lower-case words. */
export const REGION_PATTERN = /^[a-z][a-z0-9-]{0,15}$/;

export const configShape = {
  ...consumingServiceShape({ name: 'vote-merger', port: 8095, schema: 'vote_merger' }),
  /** `region`: counts one region's ballots and serves results there. `merger`: merges every region at the hub. */
  VOTE_ROLE: env.oneOf(['region', 'merger']),
  /** The region a `region` instance counts (required for that role). */
  REGION: env.string('-'),
  /** The regions whose snapshots a `merger` instance reads. */
  VOTE_REGIONS: env.string(DEFAULT_REGIONS.join(',')),
  POLL_DEFINITIONS_TOPIC: env.string(TOPICS.pollDefinitions.name),
  VOTE_RESULTS_TOPIC: env.string(TOPICS.voteResults.name),
  VOTE_BALLOTS_TOPIC_TEMPLATE: env.string(REGIONAL_TOPICS.ballots.template),
  VOTE_SNAPSHOTS_TOPIC_TEMPLATE: env.string(REGIONAL_TOPICS.snapshots.template),
  /** Default: vote-merger.<region> or vote-merger.merger. */
  CONSUMER_GROUP: env.string('-'),
  /** Default: vote_region_<region> or vote_merger; a region's schema stands for its own database. */
  DB_SCHEMA: env.string('-'),
};

type Parsed = ParsedConfig<typeof configShape>;

export interface VoteMergerConfig extends Omit<Parsed, 'VOTE_REGIONS' | 'REGION' | 'VOTE_ROLE'> {
  VOTE_ROLE: 'region' | 'merger';
  REGION: string;
  VOTE_REGIONS: string[];
  topics: {
    polls: string;
    results: string;
    ballots: (region: string) => string;
    snapshots: (region: string) => string;
  };
}

const NOT_SET = '-';

export function loadConfig(source: NodeJS.ProcessEnv = process.env): VoteMergerConfig {
  const parsed = parseConfig(configShape, source);
  const problems: string[] = [];
  const regions = parsed.VOTE_REGIONS.split(',').map((r) => r.trim());
  const badRegions = regions.filter((r) => !REGION_PATTERN.test(r));
  if (badRegions.length > 0)
    problems.push(`VOTE_REGIONS: ${badRegions.map((r) => JSON.stringify(r)).join(', ')} must match ${REGION_PATTERN}`);
  if (new Set(regions).size !== regions.length) problems.push('VOTE_REGIONS: a region is listed twice');
  if (parsed.VOTE_ROLE === 'region' && !REGION_PATTERN.test(parsed.REGION)) {
    problems.push(
      `REGION: the region role needs the region it counts, matching ${REGION_PATTERN} (got ${parsed.REGION === NOT_SET ? 'nothing' : JSON.stringify(parsed.REGION)})`,
    );
  }
  for (const name of ['VOTE_BALLOTS_TOPIC_TEMPLATE', 'VOTE_SNAPSHOTS_TOPIC_TEMPLATE'] as const) {
    if (!parsed[name].includes(REGION_PLACEHOLDER))
      problems.push(`${name}: must contain ${REGION_PLACEHOLDER} (got ${JSON.stringify(parsed[name])})`);
  }
  const schema =
    parsed.DB_SCHEMA !== NOT_SET
      ? parsed.DB_SCHEMA
      : parsed.VOTE_ROLE === 'merger'
        ? 'vote_merger'
        : `vote_region_${parsed.REGION.replace(/-/g, '_')}`;
  if (!SQL_IDENTIFIER.test(schema))
    problems.push(`DB_SCHEMA: must be a lower-case SQL identifier (got ${JSON.stringify(schema)})`);
  if (problems.length > 0) throw new ConfigError(problems);
  const topic = (template: string) => (region: string) => regionalTopicName(template, region);
  return {
    ...parsed,
    VOTE_ROLE: parsed.VOTE_ROLE === 'merger' ? 'merger' : 'region',
    VOTE_REGIONS: regions,
    DB_SCHEMA: schema,
    CONSUMER_GROUP:
      parsed.CONSUMER_GROUP !== NOT_SET
        ? parsed.CONSUMER_GROUP
        : `vote-merger.${parsed.VOTE_ROLE === 'merger' ? 'merger' : parsed.REGION}`,
    topics: {
      polls: parsed.POLL_DEFINITIONS_TOPIC,
      results: parsed.VOTE_RESULTS_TOPIC,
      ballots: topic(parsed.VOTE_BALLOTS_TOPIC_TEMPLATE),
      snapshots: topic(parsed.VOTE_SNAPSHOTS_TOPIC_TEMPLATE),
    },
  };
}
