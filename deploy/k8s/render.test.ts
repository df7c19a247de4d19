/** ./render.ts: kubectl kustomize's failures reach the test as errors, and images split as kubectl reads them. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kustomize, parseYaml } from './render.js';
import { parseImage } from './resources.js';

function kustomization(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tally-kustomize-'));
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${text}`,
  );
  writeFileSync(
    join(dir, 'config.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config}\ndata: {A: "1"}\n',
  );
  return dir;
}

describe('kustomize', () => {
  it('renders a kustomization into objects', async () => {
    expect(await kustomize(kustomization('resources: [config.yaml]\n'))).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' }, data: { A: '1' } },
    ]);
  });

  it("fails with kubectl's message: a patch whose target does not exist, a missing resource", async () => {
    const missingTarget = kustomization(`resources: [config.yaml]
patches:
  - patch: |-
      $patch: delete
      apiVersion: v1
      kind: Service
      metadata: {name: none}
`);
    await expect(kustomize(missingTarget)).rejects.toThrow(/kubectl kustomize .* failed: .*no matches/s);
    await expect(kustomize(kustomization('resources: [absent.yaml]\n'))).rejects.toThrow(/absent\.yaml/);
  });

  it('fails on a deprecation warning, so the manifests move before kustomize drops the field', async () => {
    await expect(kustomize(kustomization('resources: [config.yaml]\ncommonLabels: {a: b}\n'))).rejects.toThrow(
      /warned: .*commonLabels/s,
    );
  });
});

describe('parseYaml', () => {
  it('skips empty documents and fails on a syntax error', () => {
    expect(parseYaml('---\na: 1\n---\n', 'x')).toEqual([{ a: 1 }]);
    expect(() => parseYaml('a: [1\n', 'x')).toThrow(/^x: /);
  });
});

describe('parseImage', () => {
  it('splits images into name, tag and digest, a registry port not being a tag', () => {
    expect(parseImage('registry.example.com:5000/tally/tally:0.1.0')).toEqual({
      name: 'registry.example.com:5000/tally/tally',
      tag: '0.1.0',
    });
    expect(parseImage('tally')).toEqual({ name: 'tally' });
    expect(parseImage('tally@sha256:abc')).toEqual({ name: 'tally', digest: 'sha256:abc' });
  });
});
