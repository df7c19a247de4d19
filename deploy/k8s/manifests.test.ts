/**
 * The Kubernetes manifests of deploy/k8s, checked without a cluster: every base file and every overlay (rendered
 * by the real kustomize, `kubectl kustomize`, see ./render.ts) validates strictly against the Kubernetes API
 * schemas (./api-schema.ts), uses only the fields listed here, and keeps the operating policy: probes, resources, a
 * non-root read-only container running the compiled JavaScript, a Service, a disruption budget and an autoscaler
 * per Deployment (on consumer lag for every consumer), no secrets in the repository, and an environment each
 * service's own configuration loader accepts.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { IDeploymentSpec } from 'kubernetes-models/apps/v1';
import type {
  IExternalMetricSource,
  IHorizontalPodAutoscalerSpec,
  IMetricIdentifier,
  IMetricSpec,
  IMetricTarget,
} from 'kubernetes-models/autoscaling/v2';
import type { IJobSpec } from 'kubernetes-models/batch/v1';
import type { IPodDisruptionBudgetSpec } from 'kubernetes-models/policy/v1';
import type {
  IContainer,
  IContainerPort,
  IEnvVar,
  IHTTPGetAction,
  IPodSecurityContext,
  IPodSpec,
  IProbe,
  IResourceRequirements,
  ISecurityContext,
  IServicePort,
  IServiceSpec,
  IVolumeMount,
} from 'kubernetes-models/v1';
import { platformConfig } from '@tally/config';
import { REGIONAL_TOPICS, TOPICS, regionalTopicName, topicCatalogue } from '@tally/contracts';
import { loadConfig as counterMaterializerConfig } from '@tally/counter-materializer';
import { gatewayConfig } from '@tally/ingest-gateway';
import { loadConfig as queueAdmitterConfig } from '@tally/queue-admitter';
import { loadConfig as viewerAggregatorConfig } from '@tally/viewer-aggregator';
import { loadConfig as voteMergerConfig } from '@tally/vote-merger';
import { loadConfig as walletLedgerConfig } from '@tally/wallet-ledger';
import { apiSchemaProblems } from './api-schema.js';
import { kustomize, parseYamlFile } from './render.js';
import {
  asResource,
  describeResource as name,
  isObj,
  parseImage,
  podSpecsOf,
  type Obj,
  type Resource,
} from './resources.js';

const k8sDir = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const baseDir = join(k8sDir, 'base');
const overlaysDir = join(k8sDir, 'overlays');
const readme = readFileSync(join(k8sDir, 'README.md'), 'utf8');

// --- the fields we use -----------------------------------------------------------------------------------------
// Narrower than the API (./api-schema.ts checks that): a field not used so far (privileged, hostNetwork, added
// capabilities) is a decision someone reviews. Each list is checked against the API's own type, so it names only
// real fields.

const fields =
  <T>() =>
  <const K extends readonly (keyof T & string)[]>(keys: K) =>
    new Set<string>(keys);
const TOP_LEVEL = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'data']);
const METADATA = new Set(['name', 'namespace', 'labels', 'annotations']);
const DEPLOYMENT_SPEC = fields<IDeploymentSpec>()([
  'revisionHistoryLimit',
  'selector',
  'strategy',
  'template',
  'minReadySeconds',
  'progressDeadlineSeconds',
]);
const JOB_SPEC = fields<IJobSpec>()(['backoffLimit', 'ttlSecondsAfterFinished', 'activeDeadlineSeconds', 'template']);
const POD_SPEC = fields<IPodSpec>()([
  'automountServiceAccountToken',
  'enableServiceLinks',
  'terminationGracePeriodSeconds',
  'securityContext',
  'topologySpreadConstraints',
  'containers',
  'volumes',
  'restartPolicy',
  'affinity',
  'nodeSelector',
  'tolerations',
  'priorityClassName',
  'serviceAccountName',
  'imagePullSecrets',
]);
const POD_SECURITY_CONTEXT = fields<IPodSecurityContext>()([
  'runAsNonRoot',
  'runAsUser',
  'runAsGroup',
  'fsGroup',
  'seccompProfile',
]);
const CONTAINER = fields<IContainer>()([
  'name',
  'image',
  'imagePullPolicy',
  'command',
  'args',
  'ports',
  'envFrom',
  'env',
  'resources',
  'startupProbe',
  'livenessProbe',
  'readinessProbe',
  'lifecycle',
  'securityContext',
  'volumeMounts',
]);
const CONTAINER_PORT = fields<IContainerPort>()(['name', 'containerPort', 'protocol']);
const ENV_VAR = fields<IEnvVar>()(['name', 'value', 'valueFrom']);
const RESOURCES = fields<IResourceRequirements>()(['requests', 'limits']);
const PROBE = fields<IProbe>()([
  'httpGet',
  'initialDelaySeconds',
  'periodSeconds',
  'timeoutSeconds',
  'failureThreshold',
  'successThreshold',
]);
const HTTP_GET = fields<IHTTPGetAction>()(['path', 'port', 'scheme']);
// no privileged, no added capabilities, no user 0: only what tightens the container
const SECURITY_CONTEXT = fields<ISecurityContext>()([
  'runAsNonRoot',
  'runAsUser',
  'runAsGroup',
  'allowPrivilegeEscalation',
  'readOnlyRootFilesystem',
  'capabilities',
  'seccompProfile',
]);
const VOLUME_MOUNT = fields<IVolumeMount>()(['name', 'mountPath', 'readOnly']);
const SERVICE_SPEC = fields<IServiceSpec>()(['type', 'selector', 'ports']);
const SERVICE_PORT = fields<IServicePort>()(['name', 'port', 'targetPort', 'protocol']);
const PDB_SPEC = fields<IPodDisruptionBudgetSpec>()(['maxUnavailable', 'minAvailable', 'selector']);
const HPA_SPEC = fields<IHorizontalPodAutoscalerSpec>()([
  'scaleTargetRef',
  'minReplicas',
  'maxReplicas',
  'metrics',
  'behavior',
]);
const METRIC = fields<IMetricSpec>()(['type', 'resource', 'external']);
const EXTERNAL_METRIC = fields<IExternalMetricSource>()(['metric', 'target']);
const METRIC_IDENTIFIER = fields<IMetricIdentifier>()(['name', 'selector']);
const METRIC_TARGET = fields<IMetricTarget>()(['type', 'averageUtilization', 'averageValue']);

const obj = (value: unknown): Obj => (isObj(value) ? value : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function unknownFields(resource: Resource): string[] {
  const problems: string[] = [];
  const check = (value: unknown, allowed: Set<string>, where: string) => {
    for (const key of Object.keys(obj(value)))
      if (!allowed.has(key))
        problems.push(`${name(resource)}: ${where}.${key} is not a field deploy/k8s uses (a new one: add it above)`);
  };
  check(resource, TOP_LEVEL, '');
  check(resource.metadata, METADATA, 'metadata');
  const spec = obj(resource.spec);
  if (resource.kind === 'Deployment') check(spec, DEPLOYMENT_SPEC, 'spec');
  if (resource.kind === 'Job') check(spec, JOB_SPEC, 'spec');
  if (resource.kind === 'Service') {
    check(spec, SERVICE_SPEC, 'spec');
    for (const port of list(spec.ports)) check(port, SERVICE_PORT, 'spec.ports[]');
  }
  if (resource.kind === 'PodDisruptionBudget') check(spec, PDB_SPEC, 'spec');
  if (resource.kind === 'HorizontalPodAutoscaler') {
    check(spec, HPA_SPEC, 'spec');
    for (const metric of list(spec.metrics)) {
      check(metric, METRIC, 'spec.metrics[]');
      const external = obj(metric).external;
      if (external) {
        check(external, EXTERNAL_METRIC, 'spec.metrics[].external');
        check(obj(external).metric, METRIC_IDENTIFIER, 'spec.metrics[].external.metric');
        check(obj(external).target, METRIC_TARGET, 'spec.metrics[].external.target');
      }
    }
  }
  if (isObj(spec.template)) check(spec.template.metadata, new Set(['labels', 'annotations']), 'spec.template.metadata');
  for (const pod of podSpecsOf(resource)) {
    check(pod, POD_SPEC, 'pod');
    check(pod.securityContext, POD_SECURITY_CONTEXT, 'pod.securityContext');
    for (const container of list(pod.containers)) {
      check(container, CONTAINER, 'container');
      const c = obj(container);
      for (const port of list(c.ports)) check(port, CONTAINER_PORT, 'container.ports[]');
      for (const env of list(c.env)) check(env, ENV_VAR, 'container.env[]');
      check(c.resources, RESOURCES, 'container.resources');
      check(c.securityContext, SECURITY_CONTEXT, 'container.securityContext');
      for (const mount of list(c.volumeMounts)) check(mount, VOLUME_MOUNT, 'container.volumeMounts[]');
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        if (c[probe] === undefined) continue;
        check(c[probe], PROBE, `container.${probe}`);
        check(obj(c[probe]).httpGet, HTTP_GET, `container.${probe}.httpGet`);
      }
    }
  }
  return problems;
}

// --- what the services are ----------------------------------------------------------------------------------

const partitionsOf = (topic: string) => {
  const found = topicCatalogue().find((t) => t.name === topic);
  if (!found) throw new Error(`the topic catalogue (@tally/contracts) has no topic ${topic}`);
  return found.partitions;
};

interface ServiceFacts {
  /** The service's own configuration loader: it must accept the environment the manifests give it. */
  load: (env: NodeJS.ProcessEnv) => { PORT: number; CONSUMER_GROUP?: string };
  /** The topic whose partitions bound useful replicas (the one the lag is about); none for the gateway. */
  mainTopic?: (env: NodeJS.ProcessEnv) => string;
}

const SERVICES: Record<string, ServiceFacts> = {
  'ingest-gateway': { load: gatewayConfig },
  'viewer-aggregator': { load: viewerAggregatorConfig, mainTopic: () => TOPICS.viewerHeartbeats.name },
  'counter-materializer': { load: counterMaterializerConfig, mainTopic: () => TOPICS.itemEvents.name },
  'wallet-ledger': { load: walletLedgerConfig, mainTopic: () => TOPICS.walletCommands.name },
  'queue-admitter': { load: queueAdmitterConfig, mainTopic: () => TOPICS.queueCommands.name },
  'vote-merger-region': {
    load: voteMergerConfig,
    mainTopic: (env) => regionalTopicName(REGIONAL_TOPICS.ballots.template, env.REGION!),
  },
  'vote-merger-merger': {
    load: voteMergerConfig,
    mainTopic: () => regionalTopicName(REGIONAL_TOPICS.snapshots.template, 'kr'),
  },
};

/** Stand-ins for the values of tally-secrets, shaped as production demands (the real ones never reach the repo). */
const SECRET_STAND_INS: Record<string, string> = {
  DATABASE_URL: 'postgres://tally:stand-in@postgres.internal:5432/tally',
  // production takes keys by their hash only
  API_KEYS: JSON.stringify([
    {
      keySha256: createHash('sha256').update('stand-in-key-0123456789').digest('hex'),
      name: 'manifests-test',
      scopes: ['viewers:write'],
    },
  ]),
  TICKET_KEY: randomBytes(36).toString('base64'),
  // a key made here for the test, as `pnpm tally admission-key` makes one: a private key is never committed
  ADMISSION_SIGNING_KEYS: JSON.stringify([
    {
      ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
      kid: 'manifests-test',
    },
  ]),
};

// --- helpers over rendered resources ------------------------------------------------------------------------

const ofKind = (resources: Resource[], kind: string) => resources.filter((r) => r.kind === kind);
const find = (resources: Resource[], kind: string, n: string) =>
  resources.find((r) => r.kind === kind && r.metadata.name === n);
const podSpec = (r: Resource) => podSpecsOf(r)[0] ?? {};
const containersOf = (r: Resource) => list(podSpec(r).containers).map(obj);
const allContainersOf = (r: Resource) =>
  podSpecsOf(r).flatMap((pod) => [...list(pod.initContainers), ...list(pod.containers)].map(obj));
const podLabels = (r: Resource) => obj(obj(obj(obj(r.spec).template).metadata).labels);
const selects = (selector: unknown, labels: Obj) => Object.entries(obj(selector)).every(([k, v]) => labels[k] === v);

/** A port given by name or number, resolved against the container's ports. */
function resolvePort(container: Obj, port: unknown): number | undefined {
  if (typeof port === 'number') return port;
  return list(container.ports)
    .map(obj)
    .find((p) => p.name === port)?.containerPort as number | undefined;
}

/** The environment the container starts with: tally-config (envFrom), then its own env (which wins). */
function environmentOf(container: Obj, resources: Resource[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const configMap = (n: unknown) => {
    const found = find(resources, 'ConfigMap', String(n));
    if (!found) throw new Error(`the ConfigMap ${String(n)} is referenced but not part of the manifests`);
    return obj(found.data);
  };
  for (const source of list(container.envFrom).map(obj)) {
    if (source.secretRef) {
      expect(obj(source.secretRef).name).toBe('tally-secrets');
      continue;
    }
    for (const [k, v] of Object.entries(configMap(obj(source.configMapRef).name))) env[k] = String(v);
  }
  for (const entry of list(container.env).map(obj)) {
    const key = String(entry.name);
    if (entry.value !== undefined) env[key] = String(entry.value);
    const from = obj(entry.valueFrom);
    if (from.configMapKeyRef)
      env[key] = String(configMap(obj(from.configMapKeyRef).name)[String(obj(from.configMapKeyRef).key)]);
    if (from.secretKeyRef) {
      const ref = obj(from.secretKeyRef);
      expect(ref.name, `${key} comes from tally-secrets`).toBe('tally-secrets');
      const standIn = SECRET_STAND_INS[String(ref.key)];
      if (standIn === undefined)
        throw new Error(`secret key ${String(ref.key)} has no stand-in here (and must be documented in README.md)`);
      env[key] = standIn;
    }
  }
  return env;
}

const cpu = (q: unknown) => (String(q).endsWith('m') ? Number(String(q).slice(0, -1)) / 1000 : Number(q));
const UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 };
function memory(q: unknown): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]i|[kMG])?$/.exec(String(q));
  if (!m) throw new Error(`memory quantity ${String(q)} is not understood`);
  return Number(m[1]) * (m[2] ? (UNITS[m[2]] ?? NaN) : 1);
}

/** The source a compiled entry point is built from (services/x/dist/main.js from services/x/src/main.ts). */
function sourceOf(entry: string): string | undefined {
  const m = /^((?:services|packages)\/[^/]+)\/dist\/(.+)\.js$/.exec(entry);
  return m ? `${m[1]}/src/${m[2]}.ts` : undefined;
}

/** tsx itself (`tsx`, `tsx/esm`), or a TypeScript file, which plain node does not run. */
const runsTypeScript = (arg: string) => /^tsx(\/|$)|\.[cm]?tsx?$/.test(arg);

const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|SIGNING_KEY|CREDENTIAL|PRIVATE|DATABASE_URL/i;
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;

// --- the layouts: base and every overlay, rendered ----------------------------------------------------------

const overlayNames = readdirSync(overlaysDir).filter(
  (d) => statSync(join(overlaysDir, d)).isDirectory() && existsSync(join(overlaysDir, d, 'kustomization.yaml')),
);
// rendered once, all at the same time: each is a kubectl process of a few hundred milliseconds
const layouts = await Promise.all(
  [
    { layout: 'base', dir: baseDir },
    ...overlayNames.map((overlay) => ({ layout: `overlays/${overlay}`, dir: join(overlaysDir, overlay) })),
  ].map(async ({ layout, dir }) => ({ layout, resources: await kustomize(dir) })),
);
const baseResources = layouts[0]!.resources;

/** Every YAML file under deploy/k8s, for the checks that look at the text the repository holds. */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry) ? [path] : [];
  });
}

// --- the tests ----------------------------------------------------------------------------------------------

describe('deploy/k8s/base files', () => {
  const listed = (parse(readFileSync(join(baseDir, 'kustomization.yaml'), 'utf8')) as { resources: string[] })
    .resources;
  const files = readdirSync(baseDir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');

  it('lists every file of base/ in its kustomization, and only files that exist', () => {
    expect([...listed].sort()).toEqual([...files].sort());
  });

  it.each(files)('%s: every document validates against the Kubernetes API schema', (file) => {
    const docs = parseYamlFile(join(baseDir, file)).map((doc) => asResource(doc, file));
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(apiSchemaProblems(doc), name(doc)).toEqual([]);
      expect(unknownFields(doc)).toEqual([]);
    }
  });

  it('every overlay has a directory with a kustomization (dev and prod at least)', () => {
    expect(overlayNames).toEqual(expect.arrayContaining(['dev', 'prod']));
  });
});

describe('no secrets in the repository', () => {
  const files = yamlFiles(k8sDir);

  it.each(files.map((f) => relative(k8sDir, f)))(
    '%s holds no Secret, no credentials and no secret-like literal',
    (file) => {
      const text = readFileSync(join(k8sDir, file), 'utf8');
      expect(text).not.toMatch(/^kind:\s*Secret\s*$/m);
      expect(text).not.toMatch(/stringData:/);
      expect(text, 'a URL with a password').not.toMatch(URL_WITH_PASSWORD);
      for (const doc of parseYamlFile(join(k8sDir, file))) {
        const resource = obj(doc);
        if (resource.kind === 'ConfigMap') {
          for (const key of Object.keys(obj(resource.data)))
            expect(key, 'a secret-looking key in a ConfigMap').not.toMatch(SECRET_NAME);
        }
        for (const pod of isObj(resource.spec) ? podSpecsOf(resource as unknown as Resource) : []) {
          for (const container of list(pod.containers).map(obj)) {
            for (const env of list(container.env).map(obj)) {
              if (SECRET_NAME.test(String(env.name)))
                expect(env.value, `${String(env.name)} must come from tally-secrets`).toBeUndefined();
            }
          }
        }
      }
    },
  );

  it('the README documents exactly the keys of tally-secrets the manifests reference', () => {
    const referenced = new Set<string>();
    for (const r of baseResources) {
      for (const c of podSpecsOf(r).flatMap((p) => list(p.containers).map(obj))) {
        for (const env of list(c.env).map(obj)) {
          const ref = obj(obj(env.valueFrom).secretKeyRef);
          if (ref.key) referenced.add(String(ref.key));
        }
      }
    }
    const documented = new Set([...readme.matchAll(/--from-literal=([A-Z_]+)=/g)].map((m) => m[1]));
    expect([...documented].sort()).toEqual([...referenced].sort());
    expect(readme).toMatch(/kubectl (-n \S+ )?create secret generic tally-secrets/);
  });
});

describe.each(layouts)('$layout', ({ layout, resources }) => {
  const deployments = ofKind(resources, 'Deployment');
  const configMap = find(resources, 'ConfigMap', 'tally-config');

  it('renders resources that all validate against the Kubernetes API schemas, with known fields only', () => {
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) {
      expect(apiSchemaProblems(r), name(r)).toEqual([]);
      expect(unknownFields(r)).toEqual([]);
    }
  });

  it('has no Secret object', () => {
    expect(ofKind(resources, 'Secret')).toEqual([]);
  });

  it('runs all six services: vote-merger as the region counter (and the merger where the hub is)', () => {
    const names = deployments.map((d) => d.metadata.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'ingest-gateway',
        'viewer-aggregator',
        'counter-materializer',
        'wallet-ledger',
        'queue-admitter',
        'vote-merger-region',
      ]),
    );
    for (const n of names) expect(Object.keys(SERVICES), `${n} is a known service`).toContain(n);
  });

  it('starts every workload with plain node on a compiled entry point built from a source that exists', () => {
    const setup = find(resources, 'Job', 'tally-setup');
    expect(list(containersOf(setup!)[0]?.command)).toEqual(['node', 'packages/stack/dist/cli.js', 'setup']);
    for (const w of [...deployments, ...ofKind(resources, 'Job')]) {
      const [node, entry = '', ...rest] = list(containersOf(w)[0]?.command).map(String);
      expect(node, name(w)).toBe('node');
      if (w.kind === 'Deployment') expect(rest, `${name(w)}: a service takes no arguments`).toEqual([]);
      const source = sourceOf(entry);
      expect(source, `${name(w)}: ${entry} is a dist/*.js of a service or package`).toBeDefined();
      expect(existsSync(join(repoRoot, source ?? '')), `${name(w)}: ${source} exists`).toBe(true);
    }
  });

  it('runs no container through tsx or on a TypeScript file: the image runs compiled JavaScript only', () => {
    for (const w of [...deployments, ...ofKind(resources, 'Job')]) {
      for (const c of allContainersOf(w)) {
        const argv = [...list(c.command), ...list(c.args)].map(String);
        expect(argv.filter(runsTypeScript), `${name(w)}: ${argv.join(' ')}`).toEqual([]);
        // NODE_OPTIONS=--import tsx would bring it back behind the command's back
        expect(environmentOf(c, resources).NODE_OPTIONS ?? '', `${name(w)}: NODE_OPTIONS`).not.toMatch(/tsx/);
      }
    }
  });

  it('gives every Deployment readiness (/readyz) and liveness (/healthz) probes on its container port', () => {
    for (const d of deployments) {
      const [container, ...others] = containersOf(d);
      expect(others, `${d.metadata.name}: one container`).toEqual([]);
      const c = obj(container);
      const port = obj(list(c.ports)[0]).containerPort;
      expect(typeof port).toBe('number');
      const readiness = obj(obj(c.readinessProbe).httpGet);
      const liveness = obj(obj(c.livenessProbe).httpGet);
      expect(readiness.path, d.metadata.name).toBe('/readyz');
      expect(liveness.path, d.metadata.name).toBe('/healthz');
      expect(resolvePort(c, readiness.port), `${d.metadata.name} readiness port`).toBe(port);
      expect(resolvePort(c, liveness.port), `${d.metadata.name} liveness port`).toBe(port);
      if (c.startupProbe) expect(resolvePort(c, obj(obj(c.startupProbe).httpGet).port)).toBe(port);
    }
  });

  it('gives every workload requests and limits for CPU and memory, requests within limits', () => {
    for (const w of [...deployments, ...ofKind(resources, 'Job')]) {
      for (const c of containersOf(w)) {
        const { requests, limits } = obj(c.resources) as { requests?: Obj; limits?: Obj };
        for (const q of ['cpu', 'memory']) {
          expect(requests?.[q], `${name(w)} requests.${q}`).toBeDefined();
          expect(limits?.[q], `${name(w)} limits.${q}`).toBeDefined();
        }
        expect(cpu(requests?.cpu)).toBeLessThanOrEqual(cpu(limits?.cpu));
        expect(memory(requests?.memory)).toBeLessThanOrEqual(memory(limits?.memory));
      }
    }
  });

  it('runs every workload as non-root with a read-only root filesystem, no privilege escalation, no capabilities, RuntimeDefault seccomp and an emptyDir /tmp', () => {
    for (const w of [...deployments, ...ofKind(resources, 'Job')]) {
      const pod = podSpec(w);
      const podContext = obj(pod.securityContext);
      expect(podContext.runAsNonRoot, name(w)).toBe(true);
      expect(podContext.runAsUser, name(w)).toBeGreaterThan(0);
      expect(obj(podContext.seccompProfile).type, name(w)).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken, name(w)).toBe(false);
      const volumes = list(pod.volumes).map(obj);
      for (const c of containersOf(w)) {
        const context = obj(c.securityContext);
        expect(context.runAsNonRoot, name(w)).toBe(true);
        expect(context.readOnlyRootFilesystem, name(w)).toBe(true);
        expect(context.allowPrivilegeEscalation, name(w)).toBe(false);
        expect(list(obj(context.capabilities).drop), name(w)).toContain('ALL');
        expect(obj(context.seccompProfile).type, name(w)).toBe('RuntimeDefault');
        const tmp = list(c.volumeMounts)
          .map(obj)
          .find((m) => m.mountPath === '/tmp');
        expect(tmp, `${name(w)} mounts /tmp`).toBeDefined();
        expect(volumes.find((v) => v.name === tmp?.name)?.emptyDir, `${name(w)}: /tmp is an emptyDir`).toBeDefined();
      }
    }
  });

  it('lets every Deployment finish its batch on SIGTERM (25 s) before it is killed', () => {
    for (const d of deployments) {
      const pod = podSpec(d);
      const preStop = obj(obj(obj(containersOf(d)[0]).lifecycle).preStop);
      const sleep = Number(list(obj(preStop.exec).command)[1] ?? 0);
      expect(Number(pod.terminationGracePeriodSeconds ?? 30), d.metadata.name).toBeGreaterThanOrEqual(25 + sleep + 5);
    }
  });

  it('has Prometheus scrape annotations on every pod, on its container port', () => {
    for (const d of deployments) {
      const annotations = obj(obj(obj(obj(d.spec).template).metadata).annotations);
      expect(annotations['prometheus.io/scrape'], d.metadata.name).toBe('true');
      expect(annotations['prometheus.io/path'], d.metadata.name).toBe('/metrics');
      expect(Number(annotations['prometheus.io/port']), d.metadata.name).toBe(
        obj(list(obj(containersOf(d)[0]).ports)[0]).containerPort,
      );
    }
  });

  it("gives every Deployment a Service whose targetPort is the container's port, selecting its pods only", () => {
    for (const d of deployments) {
      const service = find(resources, 'Service', d.metadata.name);
      expect(service, `Service ${d.metadata.name}`).toBeDefined();
      const spec = obj(service?.spec);
      expect(selects(spec.selector, podLabels(d)), `${d.metadata.name}: the Service selects the pods`).toBe(true);
      for (const other of deployments.filter((o) => o !== d))
        expect(
          selects(spec.selector, podLabels(other)),
          `${d.metadata.name}'s Service selects ${other.metadata.name}`,
        ).toBe(false);
      const c = obj(containersOf(d)[0]);
      for (const port of list(spec.ports).map(obj))
        expect(resolvePort(c, port.targetPort), `${d.metadata.name} targetPort`).toBe(
          obj(list(c.ports)[0]).containerPort,
        );
      expect(obj(obj(d.spec).selector).matchLabels).toEqual(
        expect.objectContaining({ 'app.kubernetes.io/name': d.metadata.name }),
      );
    }
  });

  it('gives every Deployment a PodDisruptionBudget over its pods', () => {
    for (const d of deployments) {
      const pdb = find(resources, 'PodDisruptionBudget', d.metadata.name);
      expect(pdb, `PodDisruptionBudget ${d.metadata.name}`).toBeDefined();
      const spec = obj(pdb?.spec);
      expect(selects(obj(spec.selector).matchLabels, podLabels(d))).toBe(true);
      // with maxUnavailable a single replica can still be drained; minAvailable would have to stay below the floor
      expect(spec.maxUnavailable ?? spec.minAvailable).toBeDefined();
    }
  });

  it('starts every service with an environment its own configuration accepts, on its container port', () => {
    for (const d of deployments) {
      const container = obj(containersOf(d)[0]);
      const env = environmentOf(container, resources);
      const config = SERVICES[d.metadata.name]!.load(env);
      expect(config.PORT, d.metadata.name).toBe(obj(list(container.ports)[0]).containerPort);
    }
    for (const job of ofKind(resources, 'Job'))
      expect(() => platformConfig(environmentOf(obj(containersOf(job)[0]), resources))).not.toThrow();
  });

  it("points the gateway's read routes at Services of this layout, on their ports", () => {
    const data = obj(configMap?.data);
    for (const key of [
      'VIEWER_AGGREGATOR_URL',
      'COUNTER_MATERIALIZER_URL',
      'WALLET_LEDGER_URL',
      'QUEUE_ADMITTER_URL',
      'VOTE_RESULTS_URL',
    ]) {
      const url = new URL(String(data[key]));
      const service = find(resources, 'Service', url.hostname);
      expect(service, `${key} → Service ${url.hostname}`).toBeDefined();
      expect(list(obj(service?.spec).ports).map((p) => obj(p).port)).toContain(Number(url.port));
    }
  });

  it('autoscales every Deployment: on CPU, and on consumer lag (External tally_consumer_lag of its group) for every consumer, never past its partitions', () => {
    for (const d of deployments) {
      const hpa = find(resources, 'HorizontalPodAutoscaler', d.metadata.name);
      expect(hpa, `HorizontalPodAutoscaler ${d.metadata.name}`).toBeDefined();
      const spec = obj(hpa?.spec);
      expect(obj(spec.scaleTargetRef)).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name });
      expect(Number(spec.minReplicas)).toBeLessThanOrEqual(Number(spec.maxReplicas));
      // the autoscaler owns the replica count; a fixed one would be reset on every apply
      expect(obj(d.spec).replicas, `${d.metadata.name} leaves replicas to the autoscaler`).toBeUndefined();
      const metrics = list(spec.metrics).map(obj);
      expect(
        metrics.some((m) => m.type === 'Resource' && obj(m.resource).name === 'cpu'),
        `${d.metadata.name} scales on CPU`,
      ).toBe(true);

      const facts = SERVICES[d.metadata.name]!;
      const env = environmentOf(obj(containersOf(d)[0]), resources);
      const external = metrics.filter((m) => m.type === 'External').map((m) => obj(m.external));
      if (!facts.mainTopic) {
        expect(external, `${d.metadata.name} has no consumer, so no lag`).toEqual([]);
        continue;
      }
      const lag = external.find((e) => obj(e.metric).name === 'tally_consumer_lag');
      expect(lag, `${d.metadata.name} scales on consumer lag`).toBeDefined();
      expect(
        obj(obj(obj(lag?.metric).selector).matchLabels).group,
        `${d.metadata.name}: the lag of its own consumer group`,
      ).toBe(facts.load(env).CONSUMER_GROUP);
      expect(obj(lag?.target).type).toBe('AverageValue');
      expect(Number(spec.maxReplicas), `${d.metadata.name}: no more replicas than partitions`).toBeLessThanOrEqual(
        partitionsOf(facts.mainTopic(env)),
      );
    }
    for (const hpa of ofKind(resources, 'HorizontalPodAutoscaler'))
      expect(find(resources, 'Deployment', hpa.metadata.name), `${name(hpa)} scales a Deployment`).toBeDefined();
    for (const pdb of ofKind(resources, 'PodDisruptionBudget'))
      expect(find(resources, 'Deployment', pdb.metadata.name), `${name(pdb)} covers a Deployment`).toBeDefined();
    for (const service of ofKind(resources, 'Service'))
      expect(
        find(resources, 'Deployment', service.metadata.name),
        `${name(service)} serves a Deployment`,
      ).toBeDefined();
  });

  if (layout === 'overlays/dev') {
    it('dev: one replica, small requests, development mode, debug logs, the locally built image', () => {
      for (const hpa of ofKind(resources, 'HorizontalPodAutoscaler'))
        expect([obj(hpa.spec).minReplicas, obj(hpa.spec).maxReplicas]).toEqual([1, 1]);
      for (const d of deployments)
        expect(cpu(obj(obj(containersOf(d)[0]?.resources).requests).cpu)).toBeLessThanOrEqual(0.1);
      expect(obj(configMap?.data)).toEqual(expect.objectContaining({ TALLY_ENV: 'development', LOG_LEVEL: 'debug' }));
      for (const d of deployments) expect(containersOf(d)[0]?.image).toBe('tally:dev');
    });
  }

  if (layout.startsWith('overlays/prod')) {
    it('production: at least two replicas, production mode, larger requests, an image pinned to a release', () => {
      for (const hpa of ofKind(resources, 'HorizontalPodAutoscaler'))
        expect(Number(obj(hpa.spec).minReplicas)).toBeGreaterThanOrEqual(2);
      expect(obj(configMap?.data).TALLY_ENV).toBe('production');
      for (const w of [...deployments, ...ofKind(resources, 'Job')]) {
        const image = parseImage(String(containersOf(w)[0]?.image));
        expect(image.name, `${name(w)} comes from a registry`).toContain('/');
        expect(image.digest ?? image.tag, `${name(w)} is pinned`).toBeDefined();
        expect(['latest', 'dev']).not.toContain(image.tag);
      }
      for (const d of deployments) {
        const resourcesOf = obj(containersOf(d)[0]?.resources);
        expect(cpu(obj(resourcesOf.requests).cpu)).toBeGreaterThanOrEqual(0.5);
        expect(memory(obj(resourcesOf.limits).memory)).toBeGreaterThanOrEqual(memory('1Gi'));
      }
    });
  }

  if (layout === 'overlays/prod-jp') {
    it("prod-jp: region jp's cluster counts jp and leaves the merger to the hub", () => {
      expect(obj(configMap?.data)).toEqual(expect.objectContaining({ REGION: 'jp', VOTE_REGIONS: 'jp' }));
      expect(resources.filter((r) => r.metadata.name === 'vote-merger-merger')).toEqual([]);
    });
  }
});
