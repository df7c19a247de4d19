import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../test-support/keys.js';
import { unitGateway } from '../../test-support/unit-gateway.js';

/** docs/API.md, the public API's rules, must stay true to the routes the gateway registers. */
const apiDoc = readFileSync(new URL('../../../../../docs/API.md', import.meta.url), 'utf8');

let app: FastifyInstance;

beforeAll(async () => {
  app = await unitGateway(Object.values(keys));
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

interface Operation {
  responses: Record<string, { description?: string }>;
}

/** The gateway's OpenAPI document, which learns each route as it is added: path → method → operation. */
const documentedPaths = () => (app.swagger() as unknown as { paths: Record<string, Record<string, Operation>> }).paths;

/** "METHOD /path" of every route in the gateway's OpenAPI document. */
function registeredRoutes(): string[] {
  return Object.entries(documentedPaths()).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/** Every route docs/API.md names in code spans: `GET /v1/...`, query strings and `[?wait=true]` left out. */
function documentedRoutes(): string[] {
  const spans = apiDoc.matchAll(/`(GET|POST|PUT|DELETE|PATCH) (\/[^`?[\s]*)[^`]*`/g);
  return [...new Set([...spans].map(([, method, path]) => `${method} ${path}`))];
}

describe('docs/API.md', () => {
  it('names every route the gateway registers', () => {
    const documented = new Set(documentedRoutes());
    const routes = registeredRoutes();
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((route) => !documented.has(route))).toEqual([]);
  });

  it('names no public route the gateway does not have', () => {
    const routes = new Set(registeredRoutes());
    const publicApi = documentedRoutes().filter((route) => / \/(v1|\.well-known)\//.test(route));
    expect(publicApi.length).toBeGreaterThan(20);
    expect(publicApi.filter((route) => !routes.has(route))).toEqual([]);
  });

  it('lists every error code the gateway answers with', () => {
    const codes = new Set(
      Object.values(documentedPaths())
        .flatMap((methods) => Object.values(methods))
        .flatMap((operation) => Object.entries(operation.responses))
        .filter(([status]) => Number(status) >= 400)
        .flatMap(([, response]) => (response.description ?? '').split(', ')),
    );
    expect(codes.size).toBeGreaterThan(5);
    for (const code of codes) expect(apiDoc, code).toContain(`| \`${code}\` |`);
  });
});
