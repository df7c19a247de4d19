import { describe, expect, it } from 'vitest';
import { ERROR_CODES, unlistedProblem } from '@tally/contracts';
import { injectCall, unitGateway } from '../../test-support/unit-gateway.js';

const writer = { name: 'writer', key: 'writer-key-0123456789', scopes: ['viewers:write'] };
const bearer = { authorization: `Bearer ${writer.key}` };
const json = { ...bearer, 'content-type': 'application/json' };
const heartbeat = JSON.stringify({ source: 'app', seq: 1, sessionId: 's', positionMs: 0 });

describe("the gateway's error answers", () => {
  it('each go out with a listed code and the status the list gives it', async () => {
    const app = await unitGateway([writer]);
    const cases: [string, string, { headers?: Record<string, string>; body?: string }, string][] = [
      ['GET', '/v1/nowhere', {}, 'not_found'],
      [
        'POST',
        '/v1/streams/s/heartbeats',
        { headers: { 'content-type': 'application/json' }, body: heartbeat },
        'unauthorized',
      ],
      ['POST', '/v1/items/i/likes', { headers: json, body: '{}' }, 'forbidden'],
      ['POST', '/v1/streams/s/heartbeats', { headers: json, body: '{' }, 'malformed_json'],
      ['POST', '/v1/streams/s/heartbeats', { headers: json, body: '{"source": "app"}' }, 'invalid_request'],
      [
        'POST',
        '/v1/streams/s/heartbeats',
        { headers: { ...bearer, 'content-type': 'application/xml' }, body: '<a/>' },
        'unsupported_media_type',
      ],
      [
        'POST',
        '/v1/streams/s/heartbeats',
        { headers: json, body: JSON.stringify({ pad: 'x'.repeat(70_000) }) },
        'payload_too_large',
      ],
      ['GET', '/v1/streams/%E0%A4%A/viewers', {}, 'invalid_request'],
      // every owner is unreachable in unit tests: a routed read is the gateway's own 503
      ['GET', '/v1/streams/s/viewers', {}, 'unavailable'],
    ];
    for (const [method, path, init, code] of cases) {
      const answer = await injectCall(app, method, path, init);
      expect(answer.body.error, `${method} ${path}`).toBe(code);
      expect(answer.status, `${method} ${path}`).toBe(ERROR_CODES[code as keyof typeof ERROR_CODES].status);
      expect(unlistedProblem(answer.status, answer.body), `${method} ${path}`).toBeUndefined();
    }
  });
});
