import { Agent as HttpsAgent } from 'node:https';
import Fastify from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { ownConnections } from './read-routing.js';

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
