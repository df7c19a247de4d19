/**
 * The strict API-schema validation of ./api-schema.ts really validates: broken manifests fail, by type, enum,
 * required field and unknown field, in every kind deploy/k8s uses, while maps (labels, data) take any key.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { apiSchemaProblems, SCHEMA_SOURCE } from './api-schema.js';
import { kustomize } from './render.js';
import type { Resource } from './resources.js';

const base = await kustomize(fileURLToPath(new URL('base', import.meta.url)));
const deployment = base.find((r) => r.kind === 'Deployment')!;

// the tests break objects on purpose, in ways their types forbid
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Untyped = any;

/** A copy of the rendered Deployment, broken by `change`. */
function broken(change: (d: Untyped) => void): Resource {
  const copy: Untyped = structuredClone(deployment);
  change(copy);
  return copy as Resource;
}

const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');

describe('apiSchemaProblems', () => {
  it(`uses the schemas of ${SCHEMA_SOURCE.package} ${SCHEMA_SOURCE.version} (Kubernetes ${SCHEMA_SOURCE.kubernetes}), pinned and documented`, () => {
    const { package: name, version, kubernetes } = SCHEMA_SOURCE;
    const root = JSON.parse(read('../../package.json')) as { devDependencies: Record<string, string> };
    // exact, not a range: a new release may carry another Kubernetes version's schemas
    expect(root.devDependencies[name]).toBe(version);
    expect((JSON.parse(read(`../../node_modules/${name}/package.json`)) as { version: string }).version).toBe(version);
    expect(read('README.md')).toContain(`${name} ${version}`);
    expect(read('README.md')).toContain(`Kubernetes ${kubernetes}`);
  });

  it('accepts the rendered Deployment as it is, and any key in its maps (labels, annotations)', () => {
    expect(apiSchemaProblems(deployment)).toEqual([]);
    const labelled = broken((d) => {
      d.metadata.labels['example.com/anything'] = 'yes';
      d.spec.template.metadata.annotations['example.com/else'] = 'too';
    });
    expect(apiSchemaProblems(labelled)).toEqual([]);
  });

  it('refuses a wrong type: replicas: "three"', () => {
    expect(apiSchemaProblems(broken((d) => (d.spec.replicas = 'three')))).toEqual([
      '/spec/replicas: must be of type integer',
    ]);
  });

  it('refuses a value outside an enum and a missing required field', () => {
    const problems = apiSchemaProblems(
      broken((d) => {
        d.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes';
        delete d.spec.selector;
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        '/spec/template/spec/containers/0/imagePullPolicy: must be one of ["Always","IfNotPresent","Never"]',
        '/spec: the required field selector is missing',
      ]),
    );
  });

  it('refuses unknown fields at any depth (a misspelt field the API server would refuse)', () => {
    const problems = apiSchemaProblems(
      broken((d) => {
        d.metadata.lables = { app: 'x' };
        d.spec.replica = 3;
        d.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
        d.spec.template.spec.containers[0].readinessProbe.httpGet.paht = '/readyz';
      }),
    );
    expect(problems.sort()).toEqual([
      '/metadata/lables: not a field of the API',
      '/spec/replica: not a field of the API',
      '/spec/template/spec/containers/0/imagePullPolicyy: not a field of the API',
      '/spec/template/spec/containers/0/readinessProbe/httpGet/paht: not a field of the API',
    ]);
  });

  it.each([...new Set(base.map((r) => `${r.apiVersion}/${r.kind}`))])(
    '%s: every kind used is checked strictly',
    (kindId) => {
      const object = structuredClone(base.find((r) => `${r.apiVersion}/${r.kind}` === kindId)!);
      expect(apiSchemaProblems(object)).toEqual([]);
      expect(apiSchemaProblems({ ...object, extra: true })).toEqual(['/extra: not a field of the API']);
      expect(apiSchemaProblems({ ...object, metadata: { ...object.metadata, name: 7 } })).toEqual([
        '/metadata/name: must be of type string',
      ]);
    },
  );

  it('refuses a kind it has no schema for, rather than passing it unchecked', () => {
    expect(apiSchemaProblems({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toEqual([
      '/: v1 Pod has no schema in deploy/k8s/api-schema.ts',
    ]);
  });
});
