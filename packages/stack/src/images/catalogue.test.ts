import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deployDir, repoRoot } from '../paths.js';
import { IMAGES, buildOrder, imageReference } from './catalogue.js';

const containerfile = (name: string) =>
  name === 'tally' ? join(repoRoot, 'Dockerfile') : join(deployDir, 'images', name, 'Containerfile');

describe('the image catalogue', () => {
  it('builds every image after the images it stands on', () => {
    const order = buildOrder(IMAGES.map((image) => image.name)).map((image) => image.name);
    expect(new Set(order).size).toBe(IMAGES.length);
    for (const image of IMAGES)
      for (const base of image.base)
        expect(order.indexOf(base), `${base} before ${image.name}`).toBeLessThan(order.indexOf(image.name));
    expect(buildOrder(['kafka']).map((image) => image.name)).toEqual(['debian', 'java', 'kafka']);
  });

  it('has a Containerfile for each image built by podman, declaring its base as a build argument', () => {
    const argument = { debian: 'BASE_IMAGE', java: 'JAVA_IMAGE', node: 'NODE_IMAGE' } as const;
    for (const image of IMAGES.filter((spec) => spec.name !== 'debian')) {
      expect(existsSync(containerfile(image.name)), image.name).toBe(true);
      const text = readFileSync(containerfile(image.name), 'utf8');
      for (const base of image.base)
        expect(text, `${image.name} on ${base}`).toMatch(
          new RegExp(`^ARG ${argument[base as keyof typeof argument]}\\b`, 'm'),
        );
    }
  });

  it('pins every reference, locally and publicly, and names a variable of its own for each', () => {
    for (const image of IMAGES) {
      expect(image.reference, image.name).toMatch(/^localhost\/[\w.-]+:[\w.-]+$/);
      expect(image.publicReference, image.name).toMatch(/:[\w.-]+$/);
    }
    expect(new Set(IMAGES.map((image) => image.variable)).size).toBe(IMAGES.length);
  });

  it('takes a reference from its variable where set, else the image built here', () => {
    expect(imageReference('kafka', {})).toBe('localhost/tally-kafka:4.3.1');
    expect(imageReference('kafka', { KAFKA_IMAGE: 'apache/kafka:4.3.1' })).toBe('apache/kafka:4.3.1');
    expect(imageReference('kafka', { KAFKA_IMAGE: '' })).toBe('localhost/tally-kafka:4.3.1');
  });
});
