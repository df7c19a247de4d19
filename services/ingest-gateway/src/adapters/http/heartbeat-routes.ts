import type { FastifyPluginAsync } from 'fastify';
import { formatWriteKey } from '@tally/contracts';
import type { Heartbeat } from '@tally/schemas';
import type { OutgoingRecord } from '@tally/streaming';
import { invalidRequest, type ApiError } from '../../domain/api-error.js';
import type { ApiKeyring } from '../../domain/api-keys.js';
import { toHeartbeat, type BatchHeartbeatItem, type HeartbeatRequest } from '../../domain/heartbeat.js';
import type { RecordWriter } from '../../ports/record-writer.js';
import { acknowledgedWrite, withWriteDeadline } from './acknowledged-write.js';
import { requireScope } from './auth.js';
import {
  BATCH_BODY_LIMIT,
  WRITE_BODY_LIMIT,
  acceptedResponse,
  batchBody,
  batchEnvelope,
  batchItem,
  batchResponse,
  heartbeatBody,
  streamParams,
  writeErrors,
  writeSecurity,
} from './schemas.js';
import type { Validation } from './validation.js';

export interface HeartbeatRouteOptions {
  keyring: ApiKeyring;
  heartbeats: RecordWriter<Heartbeat>;
  validation: Validation;
  clock: () => number;
  /** WRITE_DEADLINE_MS: how long a write may take to be acknowledged. */
  writeDeadlineMs: number;
}

type BatchResult = { index: number; status: 202; id: string } | ({ index: number; status: 400 } & ApiError);

/** The live-viewers writes. A 202 means Kafka acknowledged the record (acks=all); anything less is a 503. */
export const heartbeatRoutes: FastifyPluginAsync<HeartbeatRouteOptions> = async (app, deps) => {
  const authorize = requireScope(deps.keyring, 'viewers:write');
  const produce = acknowledgedWrite(app.log, deps.heartbeats, 'heartbeats');
  const write = (records: OutgoingRecord<Heartbeat>[]) =>
    withWriteDeadline(deps.writeDeadlineMs, (deadline) => produce(records, deadline));

  app.post<{ Params: { streamId: string }; Body: HeartbeatRequest }>(
    '/v1/streams/:streamId/heartbeats',
    {
      bodyLimit: WRITE_BODY_LIMIT,
      onRequest: authorize,
      schema: {
        tags: ['viewers'],
        summary: 'A player says a session is watching the stream (every 5 s), or has ended',
        security: writeSecurity,
        params: streamParams,
        body: heartbeatBody,
        response: { 202: acceptedResponse, ...writeErrors },
      },
    },
    async (request, reply) => {
      const heartbeat = toHeartbeat(request.params.streamId, request.body, deps.clock());
      await write([{ key: heartbeat.streamId, value: heartbeat }]);
      return reply.code(202).send({ id: formatWriteKey(heartbeat) });
    },
  );

  const validItem = deps.validation.compileBody<BatchHeartbeatItem>(batchItem);

  app.post<{ Body: { items: unknown[] } }>(
    '/v1/heartbeats/batch',
    {
      bodyLimit: BATCH_BODY_LIMIT,
      onRequest: authorize,
      // the envelope is validated as a whole; items one by one below, so a bad item is refused alone
      validatorCompiler: () => deps.validation.compileBody(batchEnvelope),
      schema: {
        tags: ['viewers'],
        summary:
          'Up to 1000 heartbeats of any streams in one request; each item is accepted (202) or refused (400) on its own',
        description:
          'Answers 200 with one result per item, in order. Valid items are produced and acknowledged by Kafka before the answer; ' +
          'invalid ones are never produced. If Kafka does not acknowledge, the whole batch is answered 503 and may be retried as is.',
        security: writeSecurity,
        body: batchBody,
        response: { 200: batchResponse, ...writeErrors },
      },
    },
    async (request, reply) => {
      const receivedAtMs = deps.clock();
      const results: BatchResult[] = [];
      const records: OutgoingRecord<Heartbeat>[] = [];
      request.body.items.forEach((item, index) => {
        if (!validItem(item)) {
          results.push({ index, status: 400, ...invalidRequest(`items.${index}`, validItem.errors ?? []) });
          return;
        }
        const { streamId, ...heartbeat } = item;
        const record = toHeartbeat(streamId, heartbeat, receivedAtMs);
        records.push({ key: streamId, value: record });
        results.push({ index, status: 202, id: formatWriteKey(record) });
      });
      if (records.length > 0) await write(records);
      return reply.code(200).send({ accepted: records.length, rejected: results.length - records.length, results });
    },
  );
};
