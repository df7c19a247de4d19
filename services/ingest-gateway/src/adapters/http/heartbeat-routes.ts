import type { FastifyPluginAsync } from 'fastify';
import { WRITE_BODY_LIMIT, formatWriteKey, heartbeatRecordKey, type StreamShards } from '@tally/contracts';
import type { Heartbeat } from '@tally/schemas';
import { toHeartbeat, type BatchHeartbeatItem, type HeartbeatRequest } from '../../domain/heartbeat.js';
import type { RecordWriter } from '../../ports/record-writer.js';
import { acknowledgedWrite, withWriteDeadline } from './acknowledged-write.js';
import { requireScope } from './auth.js';
import { batchRoute, type BatchDeps } from './batch-route.js';
import {
  acceptedResponse,
  heartbeatBatchItem,
  heartbeatBody,
  streamParams,
  writeErrors,
  writeSecurity,
} from './schemas.js';

export interface HeartbeatRouteOptions extends BatchDeps {
  heartbeats: RecordWriter<Heartbeat>;
  /** Hot streams' shards: a heartbeat's record key is its stream's shard of its session (@tally/contracts). */
  streamShards: StreamShards;
}

/** The live-viewers writes. A 202 means Kafka acknowledged the record (acks=all); anything less is a 503. */
export const heartbeatRoutes: FastifyPluginAsync<HeartbeatRouteOptions> = async (app, deps) => {
  const authorize = requireScope(deps.keyring, 'viewers:write');
  const produce = acknowledgedWrite(app.log, deps.heartbeats, 'heartbeats');

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
      await withWriteDeadline(deps.writeDeadlineMs, (deadline) =>
        produce([{ key: heartbeatRecordKey(deps.streamShards, heartbeat), value: heartbeat }], deadline),
      );
      return reply.code(202).send({ id: formatWriteKey(heartbeat) });
    },
  );

  batchRoute<BatchHeartbeatItem, Heartbeat>(app, deps, {
    url: '/v1/heartbeats/batch',
    tag: 'viewers',
    items: 'heartbeats of any streams',
    scope: 'viewers:write',
    item: heartbeatBatchItem,
    accept: ({ streamId, ...request }, receivedAtMs) => {
      const heartbeat = toHeartbeat(streamId, request, receivedAtMs);
      return { value: heartbeat, answer: { id: formatWriteKey(heartbeat) } };
    },
    write: (heartbeats, deadline) =>
      produce(
        heartbeats.map((heartbeat) => ({ key: heartbeatRecordKey(deps.streamShards, heartbeat), value: heartbeat })),
        deadline,
      ),
  });
};
