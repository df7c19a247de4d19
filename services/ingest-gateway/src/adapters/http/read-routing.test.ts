import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent as HttpsAgent } from 'node:https';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PUBLIC, isJsonAnswer, ownConnections, routeRead, type RouteReadOptions } from './read-routing.js';

describe("a read family's connections to its owner", () => {
  it('are its own, for the owner’s protocol, and destroyed when the gateway closes', async () => {
    const app = Fastify();
    const owner = ownConnections(app, { name: 'owner', baseUrl: 'https://owner.example', timeoutMs: 100 });
    const other = ownConnections(app, { name: 'other', baseUrl: 'http://127.0.0.1:9', timeoutMs: 100 });
    expect(owner.agent).toBeInstanceOf(HttpsAgent);
    expect(other.agent).not.toBeInstanceOf(HttpsAgent);
    expect(owner.agent).not.toBe(other.agent);
    const destroyed = vi.spyOn(owner.agent!, 'destroy');
    await app.ready();
    expect(destroyed).not.toHaveBeenCalled();
    await app.close();
    expect(destroyed).toHaveBeenCalledOnce();
  });
});

describe("an owner's answer", () => {
  const body = (text: string) => Buffer.from(text);

  it('is JSON when the owner labels it so, without being parsed', () => {
    expect(isJsonAnswer('application/json; charset=utf-8', body('not parsed'))).toBe(true);
    expect(isJsonAnswer('application/problem+json', body('not parsed'))).toBe(true);
  });

  it('labelled otherwise is JSON only if it parses', () => {
    expect(isJsonAnswer('text/plain', body('{"a":1}'))).toBe(true);
    expect(isJsonAnswer(undefined, body('[1]'))).toBe(true);
    expect(isJsonAnswer('text/html', body('<html>oops</html>'))).toBe(false);
    expect(isJsonAnswer('application/jsonp', body('callback({})'))).toBe(false);
  });
});

describe('reads of the same path under way at once', () => {
  let owner: Server;
  let asked = 0;
  let app: FastifyInstance;

  beforeAll(async () => {
    // answers every request 20 ms late with how many it has been asked so far
    owner = createServer((_request, response) => {
      const n = ++asked;
      setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ n })), 20);
    });
    await new Promise<void>((resolve) => owner.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(owner.address() as AddressInfo).port}`;
    app = Fastify();
    const routed = ownConnections(app, { name: 'owner', baseUrl, timeoutMs: 1000 });
    const route = (path: string, options: RouteReadOptions) =>
      app.get(path, async (_request, reply) => routeRead(routed, '/thing', reply, options));
    route('/public', PUBLIC);
    route('/private', {});
  });

  afterAll(async () => {
    await app.close();
    await new Promise((resolve) => owner.close(resolve));
  });

  const readTogether = async (path: string, times: number) => {
    const before = asked;
    const answers = await Promise.all(Array.from({ length: times }, () => app.inject({ method: 'GET', url: path })));
    return { askedOwner: asked - before, bodies: answers.map((a) => a.body) };
  };

  it('share one request to the owner when public, each given its answer byte for byte', async () => {
    const { askedOwner, bodies } = await readTogether('/public', 5);
    expect(askedOwner).toBe(1);
    expect(new Set(bodies).size).toBe(1);
  });

  it('ask again once the one under way is answered', async () => {
    await readTogether('/public', 2);
    expect((await readTogether('/public', 1)).askedOwner).toBe(1);
  });

  it('each ask the owner when private (a read after a write must see that write)', async () => {
    expect((await readTogether('/private', 3)).askedOwner).toBe(3);
  });
});
