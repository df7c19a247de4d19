/**
 * deploy/grafana, checked without Grafana: the JSON in dashboards/ is what src/ generates, every panel queries
 * the provisioned Prometheus data source by its uid, every `$variable` a query uses is defined, and every metric
 * a query names is one the services export. (Each query returning data from real services is checked by
 * tests/operations/prometheus.test.ts.)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dashboards, render } from './src/dashboards.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const generated = dashboards();

interface Target {
  expr: string;
  datasource?: { uid?: string };
}
interface PanelJson {
  type: string;
  id: number;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
}

/** The metrics the services register (packages/streaming, packages/observability, the gateway, vote-merger). */
const EXPORTED = [
  'tally_records_processed_total',
  'tally_batch_duration_seconds_bucket',
  'tally_consumer_lag',
  'tally_dead_letters_total',
  'tally_late_records_total',
  'tally_write_conflicts_total',
  'tally_http_requests_total',
  'tally_http_request_duration_seconds_bucket',
  'tally_votes_ballots_total',
  'tally_process_cpu_seconds_total',
  'tally_process_resident_memory_bytes',
  'tally_nodejs_eventloop_lag_p99_seconds',
];

describe('deploy/grafana', () => {
  it('dashboards/ holds exactly the generated JSON (else: pnpm gen:dashboards)', () => {
    expect(
      readdirSync(here('dashboards'))
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual(Object.keys(generated).sort());
    for (const [file, dashboard] of Object.entries(generated))
      expect(readFileSync(here(`dashboards/${file}`), 'utf8'), file).toBe(render(dashboard));
  });

  it('has the four dashboards, each with a unique uid and title, tagged tally', () => {
    const all = Object.values(generated);
    expect(all.map((d) => d.title).sort()).toEqual([
      'Tally — HTTP',
      'Tally — consumer lag',
      'Tally — processing',
      'Tally — votes',
    ]);
    expect(new Set(all.map((d) => d.uid)).size).toBe(all.length);
    for (const d of all) expect(d.tags).toContain('tally');
  });

  it('queries the provisioned data source by its uid, from every panel and every variable', () => {
    const provisioned = parse(readFileSync(here('provisioning/datasources/prometheus.yaml'), 'utf8')) as {
      datasources: { uid: string; url: string }[];
    };
    expect(provisioned.datasources.map((d) => d.url)).toEqual(['http://prometheus:9090']);
    const uid = provisioned.datasources[0]!.uid;
    for (const d of Object.values(generated)) {
      for (const panel of d.panels as PanelJson[]) {
        if (panel.type === 'row') continue;
        expect(panel.datasource?.uid, panel.title).toBe(uid);
        expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
        for (const t of panel.targets ?? []) expect(t.datasource?.uid, panel.title).toBe(uid);
      }
      for (const v of d.templating?.list ?? []) expect(v.datasource?.uid, v.name).toBe(uid);
    }
  });

  it('gives every panel a unique id', () => {
    for (const d of Object.values(generated)) {
      const ids = (d.panels as PanelJson[]).map((p) => p.id);
      expect(new Set(ids).size, d.title).toBe(ids.length);
      expect(
        ids.every((id) => id > 0),
        d.title,
      ).toBe(true);
    }
  });

  it('uses only variables it defines and metrics the services export', () => {
    for (const d of Object.values(generated)) {
      const defined = new Set((d.templating?.list ?? []).map((v) => v.name));
      const exprs = [
        ...(d.panels as PanelJson[]).flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
        ...(d.templating?.list ?? []).map((v) => String(v.query)),
      ];
      for (const expr of exprs) {
        for (const [, name] of expr.matchAll(/\$\{?(\w+)/g))
          if (!name!.startsWith('__') && !/^\d+$/.test(name!))
            expect(defined, `${d.title}: $${name} in ${expr}`).toContain(name);
        const metrics = expr.match(/\btally_\w+/g) ?? [];
        expect(metrics.length, expr).toBeGreaterThan(0);
        for (const m of metrics) expect(EXPORTED, `${d.title}: ${m}`).toContain(m);
      }
    }
  });

  it('dashboards provisioning reads the folder docker-compose.yml mounts the JSON at', () => {
    const providers = (
      parse(readFileSync(here('provisioning/dashboards/tally.yaml'), 'utf8')) as {
        providers: { type: string; options: { path: string } }[];
      }
    ).providers;
    expect(providers.map((p) => [p.type, p.options.path])).toEqual([['file', '/var/lib/grafana/dashboards']]);
  });
});
