/**
 * The Kafka Streams peer of the counters benchmark (deploy/bench-peer): started as its own JVM on a topic,
 * asked for its counts, stopped, and what it made in Kafka removed. It answers GET /metrics with records
 * processed under Tally's metric name, so lib.ts's timeDrain times it as it times counter-materializer.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@tally/stack';
import { eventually, freePort, type TestStack } from '@tally/testkit';
import type { Kafka } from './lib.js';
import type { ItemCounts } from './like-counts.js';

const peerDir = join(repoRoot, 'deploy', 'bench-peer');
const classpath = [join(peerDir, 'target', 'bench-peer.jar'), join(peerDir, 'target', 'libs', '*')].join(':');

export interface Peer {
  url: string;
  /** Rejects if the JVM exits before `stop`: a drain timed against a dead peer would never end. */
  exited: Promise<never>;
  stop: () => Promise<void>;
}

/**
 * The peer on `topic` as application `applicationId` (its consumer group and the prefix of its internal
 * topics), with a fresh state directory; resolves once it is RUNNING. -Xmx1g: its RocksDB stores live off the heap.
 */
export async function startPeer(stack: TestStack, applicationId: string, topic: string): Promise<Peer> {
  if (!existsSync(join(peerDir, 'target', 'bench-peer.jar')))
    throw new Error(
      'the Kafka Streams peer is not built: run scripts/install.sh (or mvn -f deploy/bench-peer/pom.xml package)',
    );
  const stateDir = await mkdtemp(join(tmpdir(), `${applicationId}-`));
  const port = await freePort();
  const settings = {
    'bootstrap-servers': stack.brokers.join(','),
    'input-topic': topic,
    'application-id': applicationId,
    avsc: join(repoRoot, 'schemas', 'counters', 'item-event.avsc'),
    'state-dir': stateDir,
    port: String(port),
  };
  const args = Object.entries(settings).flatMap(([name, value]) => [`--${name}`, value]);
  const child = spawn('java', ['-Xmx1g', '-cp', classpath, 'dev.tally.peer.PeerApp', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // its output is kept, not shown: the tail says why it failed, if it does
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const exited = gone.then(() => {
    throw new Error(
      `the Kafka Streams peer exited (${child.exitCode ?? child.signalCode}); its last output:\n${output}`,
    );
  });
  // raced wherever it matters; once the peer is stopped, its exit is no error
  exited.catch(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  const running = () =>
    fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
  const stop = async () => {
    // SIGTERM: Kafka Streams closes, committing what it processed, before the JVM ends
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await gone;
    await rm(stateDir, { recursive: true, force: true });
  };
  if (!(await Promise.race([eventually(running, 120_000), exited]))) {
    await stop();
    throw new Error(`the Kafka Streams peer was not RUNNING within 120 s; its last output:\n${output}`);
  }
  return { url, exited, stop };
}

/** Every item's counts, from the peer's counts store (an interactive query). */
export async function peerCounts(peer: Peer): Promise<Map<string, ItemCounts>> {
  const reply = await fetch(`${peer.url}/counts`);
  if (!reply.ok) throw new Error(`the peer's GET /counts answered ${reply.status}: ${await reply.text()}`);
  return new Map(Object.entries((await reply.json()) as Record<string, ItemCounts>));
}

/** The peer's consumer group and internal topics (its stores' changelogs, all named after the application). */
export async function deletePeerLeftovers(kafka: Kafka, applicationId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const internal = (await admin.listTopics()).filter((t) => t.startsWith(`${applicationId}-`));
    if (internal.length > 0) await admin.deleteTopics({ topics: internal });
    await admin
      .deleteGroups([applicationId])
      .catch((error: unknown) => console.warn(`could not delete consumer group ${applicationId}: ${String(error)}`));
  } finally {
    await admin.disconnect();
  }
}
