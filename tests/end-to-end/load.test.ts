/**
 * `tally load` against a real gateway: every job's traffic is accepted as valid input (nothing refused, nothing
 * failed), so the generator speaks the public API as docs/API.md defines it.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createTopicsWithSchemas,
  stackEnvironment,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@tally/testkit';
import { DEFAULT_REGIONS, REGIONAL_TOPICS, REGION_PLACEHOLDER, TOPICS, regionalTopicName } from '@tally/contracts';
import { tally as runCli } from './fixtures/cli.js';

const stack = inject('stack');
const run = uniqueName('e2e-load');
const prefix = `test.${run}`;
const ballotsTemplate = `${prefix}.${REGION_PLACEHOLDER}.ballots`;
const apiKey = {
  key: 'e2e-load-key-0123456789abcdef',
  name: 'e2e-load',
  scopes: [
    'viewers:write',
    'counters:write',
    'wallets:write',
    'queues:write',
    'queues:admin',
    'polls:write',
    'polls:admin',
  ],
};
let gateway: ServiceProcess;

beforeAll(async () => {
  await createTopicsWithSchemas(stack, [
    { name: `${prefix}.heartbeats`, partitions: 2, schema: TOPICS.viewerHeartbeats.valueSchema },
    { name: `${prefix}.items`, partitions: 2, schema: TOPICS.itemEvents.valueSchema },
    { name: `${prefix}.wallet`, partitions: 2, schema: TOPICS.walletCommands.valueSchema },
    { name: `${prefix}.queue`, partitions: 2, schema: TOPICS.queueCommands.valueSchema },
    { name: `${prefix}.polls`, partitions: 1, schema: TOPICS.pollDefinitions.valueSchema },
    ...DEFAULT_REGIONS.map((r) => ({
      name: regionalTopicName(ballotsTemplate, r),
      partitions: 2,
      schema: REGIONAL_TOPICS.ballots.valueSchema,
    })),
  ]);
  gateway = await startServiceProcess('ingest-gateway', {
    ...stackEnvironment(stack),
    TALLY_ENV: 'test',
    API_KEYS: JSON.stringify([apiKey]),
    HEARTBEATS_TOPIC: `${prefix}.heartbeats`,
    ITEM_EVENTS_TOPIC: `${prefix}.items`,
    WALLET_COMMANDS_TOPIC: `${prefix}.wallet`,
    QUEUE_COMMANDS_TOPIC: `${prefix}.queue`,
    POLL_DEFINITIONS_TOPIC: `${prefix}.polls`,
    VOTE_REGIONS: DEFAULT_REGIONS.join(','),
    VOTE_BALLOTS_TOPIC_TEMPLATE: ballotsTemplate,
  });
});

afterAll(async () => {
  await gateway?.stop('SIGTERM');
});

const tally = (...args: string[]) => runCli({}, ...args);

describe('tally load', () => {
  it('sends every job’s traffic at the chosen rate, all of it accepted, with a summary each second', async () => {
    const result = await tally(
      'load',
      '--url',
      gateway.url,
      '--key',
      apiKey.key,
      '--rate',
      '150',
      '--seconds',
      '4',
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^t=1s$/m);
    expect(result.stdout).toMatch(/viewers\s+\d+\/s sent/);
    const summary = JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<
      string,
      { sent: number; accepted: number; refused: number; failed: number }
    >;
    expect(Object.keys(summary).sort()).toEqual(['counters', 'queue', 'viewers', 'votes', 'wallet']);
    for (const [job, s] of Object.entries(summary)) {
      expect(s.sent, job).toBeGreaterThan(50);
      expect({ job, refused: s.refused, failed: s.failed }).toEqual({ job, refused: 0, failed: 0 });
      expect(s.accepted, job).toBe(s.sent);
    }
  });
});
