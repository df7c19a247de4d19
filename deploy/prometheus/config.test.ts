/**
 * deploy/prometheus, checked without Prometheus: prometheus.yml scrapes every service of docker-compose.yml by its
 * compose name and PORT, local.yml the same jobs on 127.0.0.1 (the local stack's ports), both every 15 s on
 * /metrics with the alert rules. (promtool's own checks, and a real Prometheus scraping real services, are in
 * tests/operations/prometheus.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';

type Obj = Record<string, unknown>;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const load = (file: string) => parse(readFileSync(here(file), 'utf8')) as Obj;

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs: { targets: string[] }[];
}

const composeFile = parseDocument(readFileSync(here('../../docker-compose.yml'), 'utf8'), { merge: true }).toJS() as {
  services: Record<string, Obj>;
};
/** Every compose service that runs a Tally service (the Tally image, listening on PORT). */
const tallyServices = Object.fromEntries(
  Object.entries(composeFile.services)
    .filter(
      ([, s]) => String(s.image).startsWith('${TALLY_IMAGE') && (s.environment as Obj | undefined)?.PORT !== undefined,
    )
    .map(([name, s]) => [name, Number((s.environment as Obj).PORT)]),
);

const jobs = (config: Obj) =>
  Object.fromEntries(
    (config.scrape_configs as ScrapeConfig[]).map((j) => [j.job_name, j.static_configs.flatMap((c) => c.targets)]),
  );

describe('deploy/prometheus', () => {
  const forCompose = load('prometheus.yml');
  const local = load('local.yml');

  it('finds the ten Tally services in docker-compose.yml', () => {
    expect(Object.keys(tallyServices).length).toBe(10);
  });

  it('prometheus.yml scrapes every compose service by name and PORT, one job each', () => {
    expect(jobs(forCompose)).toEqual(
      Object.fromEntries(Object.entries(tallyServices).map(([name, port]) => [name, [`${name}:${port}`]])),
    );
  });

  it('local.yml has the same jobs on 127.0.0.1 and the same ports', () => {
    expect(jobs(local)).toEqual(
      Object.fromEntries(Object.entries(tallyServices).map(([name, port]) => [name, [`127.0.0.1:${port}`]])),
    );
  });

  it('both scrape /metrics every 15 s and load the alert rules', () => {
    for (const config of [forCompose, local]) {
      expect((config.global as Obj).scrape_interval).toBe('15s');
      expect(config.rule_files).toEqual(['rules.yml']);
      for (const job of config.scrape_configs as ScrapeConfig[])
        expect(job.metrics_path ?? '/metrics', job.job_name).toBe('/metrics');
    }
  });

  it('every rule names only metrics the services export', () => {
    const rules = (load('rules.yml').groups as { rules: { expr: string }[] }[]).flatMap((g) => g.rules);
    const exported = [
      'tally_consumer_lag',
      'tally_records_processed_total',
      'tally_dead_letters_total',
      'tally_late_records_total',
      'tally_write_conflicts_total',
    ];
    for (const rule of rules)
      for (const name of rule.expr.match(/\btally_\w+/g) ?? []) expect(exported, rule.expr).toContain(name);
  });
});
