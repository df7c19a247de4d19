/**
 * A join's (source, seq) names one join. Sent again with another user (same queue, so the same ticket) or into
 * another queue (on another partition), it is a client's reused id: the first join stands, the reuse goes to the
 * dead-letter topic as id_reused_with_different_user / _queue and is counted in tally_write_conflicts_total. The
 * same join again (received later) is a retry: no dead letter, nothing changes.
 */
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TOPICS, conflictReason } from '@tally/contracts';
import { createSchemaRegistry, topicCodec, type DeadLetter } from '@tally/schemas';
import { readRecords, withAdmin } from '@tally/testkit';
import type { RunningAdmitter } from '../src/service.js';
import { getJson, queueWorld, ticketIdOf } from './fixtures/world.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof queueWorld>>;
let service: RunningAdmitter;

beforeAll(async () => {
  world = await queueWorld(stack, 'write-conflicts');
  service = await world.start();
});

afterAll(async () => {
  await world?.close();
});

/** The partition the producer puts a queue's commands on (the Java client's murmur2, as the producer uses). */
const partitionOf = (queueId: string) =>
  Partitioners.DefaultPartitioner()({
    topic: world.topics.commands,
    partitionMetadata: [0, 1, 2, 3].map((partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    })),
    message: { key: queueId, value: null },
  });

const QUEUE = 'concert';
const FIRST = ticketIdOf(1);
const ID = { source: 'app', seq: 7 };

describe('a join id reused with another body', () => {
  it('is dead-lettered with the field that differs and counted; the first join stands; a retry stays silent', async () => {
    // another queue on another partition: the reuse is found across partitions
    const other = ['encore', 'matinee', 'late-show', 'backstage'].find((q) => partitionOf(q) !== partitionOf(QUEUE))!;
    await world.send([{ ...world.join(QUEUE, FIRST, 'u1'), ...ID }]);
    await world.caughtUp();
    // what a join sets (the admitter may admit it meanwhile: status and times are its own)
    const joined = async (queueId: string) =>
      (await world.tickets(queueId)).map((t) => [t.ticket_id, t.user_id, Number(t.join_order)]);
    const before = await joined(QUEUE);
    expect(before).toEqual([[FIRST, 'u1', expect.any(Number)]]);

    await world.send([
      { ...world.join(QUEUE, FIRST, 'u2'), ...ID },
      { ...world.join(other, ticketIdOf(2), 'u1'), ...ID },
      // the retry: received later, the same join
      { ...world.join(QUEUE, FIRST, 'u1'), ...ID, receivedAtMs: Date.now() + 1000 },
    ]);
    await world.caughtUp();

    const registry = createSchemaRegistry(stack.registryUrl);
    const letters = await readRecords<DeadLetter>(
      stack.brokers,
      world.topics.deadLetters,
      topicCodec(registry, world.topics.deadLetters, TOPICS.deadLetters.valueSchema),
      2,
    );
    const commands = topicCodec(registry, world.topics.commands, TOPICS.queueCommands.valueSchema);
    const reused = await Promise.all(
      letters.map(async (l) => ({
        reasonCode: l.reasonCode,
        reason: l.reason,
        command: await commands.decode(l.value),
      })),
    );
    expect(
      reused
        .map((r) => [r.reasonCode, r.reason.split(':')[0], r.command.queueId, r.command.userId])
        .sort((a, b) => String(a[2]).localeCompare(String(b[2]))),
    ).toEqual(
      [
        ['REJECTED', conflictReason('user'), QUEUE, 'u2'],
        ['REJECTED', conflictReason('queue'), other, 'u1'],
      ].sort((a, b) => String(a[2]).localeCompare(String(b[2]))),
    );
    // the retry is no dead letter: offsets are committed only once the batch's dead letters are acknowledged
    const deadLetters = await withAdmin(stack.brokers, (a) => a.fetchTopicOffsets(world.topics.deadLetters));
    expect(deadLetters.reduce((n, p) => n + Number(p.high), 0)).toBe(2);

    // the first join stands: the same one ticket, user and place in line; the other queue was never created
    expect(await joined(QUEUE)).toEqual(before);
    expect(await world.tickets(other)).toEqual([]);
    const base = `http://127.0.0.1:${service.port}`;
    expect((await getJson(base, `/v1/queues/${other}`)).status).toBe(404);
    const figures = (await getJson<{ waiting: number; active: number }>(base, `/v1/queues/${QUEUE}`)).body;
    expect(figures.waiting + figures.active).toBe(1);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const field of ['user', 'queue'])
      expect(metrics).toMatch(
        new RegExp(
          `^tally_write_conflicts_total\\{reason="${conflictReason(field)}",service="queue-admitter"\\} 1$`,
          'm',
        ),
      );
  });
});
