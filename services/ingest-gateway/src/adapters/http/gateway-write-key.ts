import type { FastifyRequest } from 'fastify';
import type { WriteKey } from '@tally/contracts';
import { ReceiptSequence, gatewaySource } from '../../domain/gateway-writes.js';
import { callerOf } from './auth.js';

/** A route that needs a key ran without one: the hooks are wired wrong. A bug of ours, never the client's. */
export class MissingCallerError extends Error {
  constructor(route: string | undefined) {
    super(`no API key was checked before ${route ?? 'this route'}; its onRequest hook is missing`);
    this.name = 'MissingCallerError';
  }
}

// one per process rather than per gateway or per route family, so no two writes this process names share a seq
// however many gateways it builds (the tests build several) and whichever routes name them (queues, polls)
const receiptSeqs = new ReceiptSequence();

/** (source, seq) of a write the client names no seq for: the caller's key, and the next receipt seq. */
export function gatewayWriteKey(request: FastifyRequest, receivedAtMs: number): WriteKey {
  const caller = callerOf(request);
  if (!caller) throw new MissingCallerError(request.routeOptions.url);
  return { source: gatewaySource(caller.name), seq: receiptSeqs.next(receivedAtMs) };
}
