/**
 * Operating Tally with Prometheus and Grafana, against real services: every service runs as its own process
 * (the gateway, viewer-aggregator, counter-materializer, wallet-ledger, queue-admitter, a vote-merger region
 * and the merger, on their own topics, groups and schemas), the real `prometheus` binary scrapes them with the
 * jobs of deploy/prometheus/local.yml, and `tally load` plus a few bad requests and one undecodable record
 * drive traffic through them. Then every query of every generated Grafana dashboard must return data, the
 * alert rules must load, and the lag the services export must be the lag Kafka's own kafka-consumer-groups
 * reports. Needs the `prometheus` and `promtool` binaries: ./scripts/install.sh installs them (Debian package
 * `prometheus`).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { kafkaClasspath, repoRoot } from '@tally/stack';
import { eventually, freePort, startTallyProcesses, testKafka, uniqueName, type TallyProcesses } from '@tally/testkit';
import { postStatus } from '../end-to-end/fixtures/gateway.js';

const execFileAsync = promisify(execFile);
const stack = inject('stack');
const run = uniqueName('ops-prom');
const apiKey = {
  key: 'ops-prometheus-key-0123456789abcdef',
  name: 'ops-prometheus',
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

let tally: TallyProcesses;
let prometheus: ChildProcess | undefined;
let prometheusUrl: string;
let dataDir: string;

function requireBinary(name: string): void {
  const probe = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (probe.error)
    throw new Error(
      `\`${name}\` is not installed (${probe.error.message}): run ./scripts/install.sh, which installs the Debian package prometheus (prometheus and promtool)`,
    );
}

interface ScrapeConfig {
  job_name: string;
  static_configs: { targets: string[] }[];
}

/** deploy/prometheus/local.yml with this test's ports: the jobs of the services started here, every second. */
function prometheusConfig(): string {
  const local = parse(readFileSync(join(repoRoot, 'deploy/prometheus/local.yml'), 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };
  const jobs = local.scrape_configs.filter((job) => tally.byJob.has(job.job_name));
  expect(jobs.map((j) => j.job_name).sort(), 'every service started here has a job in local.yml').toEqual(
    [...tally.byJob.keys()].sort(),
  );
  return stringify({
    ...local,
    global: { ...local.global, scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: local.rule_files.map((f) => join(repoRoot, 'deploy/prometheus', f)),
    scrape_configs: jobs.map((job) => ({
      ...job,
      static_configs: [{ targets: [new URL(tally.byJob.get(job.job_name)!.url).host] }],
    })),
  });
}

async function startPrometheus(): Promise<void> {
  dataDir = mkdtempSync(join(tmpdir(), 'tally-prometheus-'));
  writeFileSync(join(dataDir, 'prometheus.yml'), prometheusConfig());
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  let stderr = '';
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(dataDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dataDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  prometheus.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const ready = await eventually(
    async () =>
      prometheus!.exitCode === null &&
      (await fetch(`${prometheusUrl}/-/ready`).then(
        (r) => r.ok,
        () => false,
      )),
    30_000,
    100,
  );
  if (!ready) throw new Error(`prometheus did not become ready:\n${stderr}`);
}

interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

async function promApi<T>(path: string, form?: Record<string, string>): Promise<T> {
  const response = await fetch(
    `${prometheusUrl}${path}`,
    form ? { method: 'POST', body: new URLSearchParams(form) } : {},
  );
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(form)}: ${body.error}`);
  return body.data;
}

const instant = async (query: string) => (await promApi<{ result: PromSeries[] }>('/api/v1/query', { query })).result;

/** `tally load` through the gateway for a few seconds (every job: viewers, counters, wallet, queue, votes). */
async function load(seconds: number): Promise<void> {
  const cli = [
    '--import',
    'tsx',
    'packages/stack/src/cli.ts',
    'load',
    '--url',
    tally.byJob.get('ingest-gateway')!.url,
    '--key',
    apiKey.key,
    '--rate',
    '100',
    '--seconds',
    String(seconds),
    '--json',
  ];
  const { stdout } = await execFileAsync(process.execPath, cli, { cwd: repoRoot, timeout: 60_000 });
  // the summary is the JSON line (reads every 5 s may print after it)
  const summary = JSON.parse(stdout.split('\n').findLast((line) => line.startsWith('{'))!) as Record<
    string,
    { accepted: number }
  >;
  for (const [job, s] of Object.entries(summary)) expect(s.accepted, `load: ${job} accepted`).toBeGreaterThan(0);
}

beforeAll(async () => {
  requireBinary('prometheus');
  requireBinary('promtool');
  tally = await startTallyProcesses(stack, { run, apiKey });
  await startPrometheus();

  const gateway = tally.byJob.get('ingest-gateway')!.url;
  const producer = testKafka(stack.brokers).producer();
  await producer.connect();
  await Promise.all([
    load(6),
    (async () => {
      // client errors for the HTTP dashboard: bad input (400) and a missing key (401)
      expect(
        await postStatus(gateway, apiKey.key, '/v1/streams/s1/heartbeats', { source: 'ops', seq: 'not a number' }),
      ).toBe(400);
      expect(
        await postStatus(gateway, 'not-a-key', '/v1/streams/s1/heartbeats', {
          source: 'ops',
          seq: 1,
          sessionId: 'x',
          positionMs: 0,
        }),
      ).toBe(401);
      // a write id reused with another amount: the ledger refuses the second and counts it (tally_write_conflicts_total)
      for (const amount of ['1.00', '2.00'])
        expect(
          await postStatus(gateway, apiKey.key, '/v1/wallets/ops-reuser/transactions', {
            source: 'ops-reuse',
            seq: 1,
            type: 'credit',
            asset: 'coins',
            amount,
          }),
        ).toBe(202);
      // a record that is not Avro: viewer-aggregator dead-letters it (tally_dead_letters_total, DECODE_FAILED)
      await producer.send({
        topic: tally.topics.heartbeats,
        messages: [{ key: 'stream-poison', value: Buffer.from('not an avro record') }],
      });
    })(),
  ]);
  await producer.disconnect();
});

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await tally?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface DashboardJson {
  title: string;
  templating?: { list: { name: string; query: string | { query: string } }[] };
  panels: PanelJson[];
}
interface PanelJson {
  title: string;
  panels?: PanelJson[];
  targets?: { refId?: string; expr?: string }[];
}

const dashboardsDir = join(repoRoot, 'deploy/grafana/dashboards');
const dashboards = readdirSync(dashboardsDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(dashboardsDir, f), 'utf8')) as DashboardJson);

/**
 * A query as Grafana would send it with every variable on "All" (`.*`) and the time range's intervals filled in.
 * Only defined variables are replaced, as Grafana does (so label_replace's `${1}` stays).
 */
function interpolate(expr: string, variables: Set<string>): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '1s')
    .replaceAll('$__range', '5m')
    .replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced?: string, bare?: string) =>
      variables.has((braced ?? bare)!) ? '.*' : match,
    );
}

describe('Prometheus and the Grafana dashboards against the running services', () => {
  it('promtool accepts both configurations and the alert rules, and the rules pass their unit tests', async () => {
    const dir = join(repoRoot, 'deploy/prometheus');
    for (const args of [
      ['check', 'config', 'prometheus.yml'],
      ['check', 'config', 'local.yml'],
      ['check', 'rules', 'rules.yml'],
      ['test', 'rules', 'rules.test.yml'],
    ]) {
      const result = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
      expect(result.status, `promtool ${args.join(' ')}:\n${result.stdout}${result.stderr}`).toBe(0);
    }
  });

  it('scrapes every service it is given (all targets up) and loads the alert rules', async () => {
    const allUp = async () => {
      const { activeTargets } = await promApi<{ activeTargets: { labels: { job: string }; health: string }[] }>(
        '/api/v1/targets',
      );
      return activeTargets.length === tally.byJob.size && activeTargets.every((t) => t.health === 'up');
    };
    expect(await eventually(allUp, 20_000, 250), 'every target up').toBe(true);
    const { groups: ruleGroups } = await promApi<{
      groups: { name: string; rules: { name: string; health: string }[] }[];
    }>('/api/v1/rules');
    expect(ruleGroups.map((g) => g.name).sort()).toEqual(['tally-consumers', 'tally-dead-letters', 'tally-targets']);
    await expect
      .poll(
        async () =>
          (await promApi<{ groups: { rules: { health: string }[] }[] }>('/api/v1/rules')).groups.flatMap((g) =>
            g.rules.map((r) => r.health),
          ),
        { timeout: 10_000 },
      )
      .not.toContain('err');
  });

  it('answers every panel query and every variable of every dashboard with at least one series', async () => {
    expect(dashboards.map((d) => d.title).sort()).toEqual([
      'Tally — HTTP',
      'Tally — consumer lag',
      'Tally — processing',
      'Tally — votes',
    ]);
    const queries: { where: string; expr: string }[] = [];
    const variableQueries: { where: string; label: string; match: string }[] = [];
    for (const d of dashboards) {
      const variables = new Set((d.templating?.list ?? []).map((v) => v.name));
      for (const v of d.templating?.list ?? []) {
        const definition = typeof v.query === 'string' ? v.query : v.query.query;
        const [, match, label] = /^label_values\((.+),\s*(\w+)\)$/.exec(definition) ?? [];
        expect(match, `${d.title}: variable ${v.name} is label_values(selector, label)`).toBeDefined();
        variableQueries.push({
          where: `${d.title} / $${v.name}`,
          label: label!,
          match: interpolate(match!, variables),
        });
      }
      for (const panel of d.panels.flatMap((p) => [p, ...(p.panels ?? [])])) {
        for (const target of panel.targets ?? [])
          queries.push({
            where: `${d.title} / ${panel.title} / ${target.refId}`,
            expr: interpolate(target.expr!, variables),
          });
      }
    }
    expect(queries.length).toBeGreaterThan(20);

    // rates need two scrapes of a series, the dead letter a batch: poll until every query has data
    const empty = async () => {
      const missing: string[] = [];
      for (const q of queries) if ((await instant(q.expr)).length === 0) missing.push(`${q.where}: ${q.expr}`);
      for (const v of variableQueries) {
        const values = await promApi<string[]>(
          `/api/v1/label/${v.label}/values?${new URLSearchParams({ 'match[]': v.match })}`,
        );
        if (values.length === 0) missing.push(`${v.where}: label_values(${v.match}, ${v.label})`);
      }
      return missing;
    };
    let missing: string[] = [];
    const answered = await eventually(async () => (missing = await empty()).length === 0, 30_000, 1000);
    expect(answered ? [] : missing, 'queries without a series').toEqual([]);

    // and they carry what they claim: this run's groups, the dead letter's reason, the gateway's client errors
    expect(
      (
        await instant(
          interpolate(
            'sum by (group) (max by (group, topic, partition) (tally_consumer_lag{service=~"$service", group=~"$group"}))',
            new Set(['service', 'group']),
          ),
        )
      ).map((s) => s.metric.group),
    ).toEqual(expect.arrayContaining(Object.values(tally.groups)));
    expect(
      (await instant('sum by (service, topic, reason) (tally_dead_letters_total)')).map((s) => s.metric),
    ).toContainEqual({ service: 'viewer-aggregator', topic: tally.topics.heartbeats, reason: 'DECODE_FAILED' });
    const errors = await instant(
      interpolate(queries.find((q) => q.where.includes('4xx and 5xx per second'))!.expr, new Set()),
    );
    expect(errors.map((s) => s.metric.class)).toContain('4xx');
    expect(
      (await instant('sum by (region, outcome) (tally_votes_ballots_total)')).map((s) => s.metric.region),
    ).toContain(tally.region);
  });

  it('exports the lag kafka-consumer-groups reports for every partition of every group, once they have caught up', async () => {
    /** tally_consumer_lag from the services' own /metrics: "group topic partition" → lag. */
    const exported = async () => {
      const lag = new Map<string, number>();
      for (const service of tally.byJob.values()) {
        const text = await (await fetch(`${service.url}/metrics`)).text();
        for (const line of text.split('\n')) {
          if (!line.startsWith('tally_consumer_lag{')) continue;
          const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
          lag.set(`${labels.group} ${labels.topic} ${labels.partition}`, Number(line.slice(line.lastIndexOf(' ') + 1)));
        }
      }
      return lag;
    };
    /** kafka-consumer-groups --describe for all of this run's groups: "group topic partition" → lag, where it shows one. */
    const reported = async () => {
      const args = [
        '-cp',
        kafkaClasspath(),
        'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
        '--bootstrap-server',
        stack.brokers.join(','),
        '--describe',
        ...Object.values(tally.groups).flatMap((g) => ['--group', g]),
      ];
      const { stdout } = await execFileAsync('java', args, { timeout: 60_000 });
      const lag = new Map<string, number>();
      for (const line of stdout.split('\n')) {
        const [group, topic, partition, , , value] = line.trim().split(/\s+/);
        if (Object.values(tally.groups).includes(group!) && /^\d+$/.test(value ?? ''))
          lag.set(`${group} ${topic} ${partition}`, Number(value));
      }
      return lag;
    };

    // caught up: every partition the services report at 0 (the gauge is refreshed every 5 s)
    const caughtUp = await eventually(
      async () => {
        const lag = await exported();
        return (
          Object.values(tally.groups).every((g) => [...lag.keys()].some((k) => k.startsWith(`${g} `))) &&
          [...lag.values()].every((v) => v === 0)
        );
      },
      30_000,
      500,
    );
    expect(caughtUp, `every group caught up: ${JSON.stringify(Object.fromEntries(await exported()))}`).toBe(true);

    let ours = new Map<string, number>();
    let theirs = new Map<string, number>();
    const agree = async () => {
      [theirs, ours] = await Promise.all([reported(), exported()]);
      return [...theirs].every(([key, lag]) => ours.get(key) === lag);
    };
    const agreed = await eventually(agree, 30_000, 1000);
    for (const group of Object.values(tally.groups))
      expect(
        [...theirs.keys()].filter((k) => k.startsWith(`${group} `)).length,
        `kafka-consumer-groups lists partitions of ${group}`,
      ).toBeGreaterThan(0);
    for (const [key, lag] of theirs) expect({ partition: key, lag: ours.get(key) }).toEqual({ partition: key, lag });
    expect(agreed).toBe(true);

    // and Prometheus, as the lag dashboard queries it (max over instances), has the same
    const scraped = async () =>
      new Map(
        (await instant(`max by (group, topic, partition) (tally_consumer_lag{group=~"${run}[.].*"})`)).map((s) => [
          `${s.metric.group} ${s.metric.topic} ${s.metric.partition}`,
          Number(s.value[1]),
        ]),
      );
    let fromPrometheus = new Map<string, number>();
    await eventually(
      async () => {
        fromPrometheus = await scraped();
        return [...theirs].every(([key, lag]) => fromPrometheus.get(key) === lag);
      },
      10_000,
      500,
    );
    for (const [key, lag] of theirs)
      expect({ partition: key, lag: fromPrometheus.get(key) }).toEqual({ partition: key, lag });
  });
});
