import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stackDir } from './paths.js';
import { CLUSTER_PORTS } from './profile.js';
import { runningPid, stackProcess, startDetached, stopProcess, waitUntil, type ManagedProcess } from './processes.js';

/**
 * The cluster profile's Redis Cluster: six redis-server processes on loopback, three primaries with one replica
 * each, as `redis-cli --cluster create ... --cluster-replicas 1` lays them out. Each node keeps an append-only
 * file, so a node restarted by hand comes back with its data and its place in the cluster (nodes.conf).
 */
export interface RedisClusterSettings {
  /** The first node's port; the others follow it. */
  port: number;
  nodes: number;
  replicasPerPrimary: number;
  /** How long a primary may be silent before its replica takes over (cluster-node-timeout). */
  nodeTimeoutMs: number;
}

export function redisClusterSettings(env: NodeJS.ProcessEnv = process.env): RedisClusterSettings {
  return {
    port: Number(env.TALLY_REDIS_CLUSTER_PORT ?? CLUSTER_PORTS.redis),
    nodes: 6,
    replicasPerPrimary: 1,
    nodeTimeoutMs: Number(env.TALLY_REDIS_NODE_TIMEOUT_MS ?? 3000),
  };
}

export const redisClusterPorts = (s: RedisClusterSettings) => Array.from({ length: s.nodes }, (_, i) => s.port + i);

/** The URL services are given (any node seeds the client, which learns the rest from CLUSTER SLOTS). */
export const redisClusterUrl = (s: RedisClusterSettings) => `redis://127.0.0.1:${s.port}`;

export function redisNodeProcess(port: number): ManagedProcess {
  return stackProcess(`redis-${port}`);
}

/** Starts the nodes not running, creates the cluster once, and waits until every node reports it healthy. */
export async function startRedisCluster(
  settings: RedisClusterSettings,
  log: (line: string) => void,
): Promise<'started' | 'already running'> {
  const ports = redisClusterPorts(settings);
  const stopped = ports.filter((port) => runningPid(redisNodeProcess(port)) === undefined);
  for (const port of stopped) startRedisNode(settings, port);
  for (const port of ports)
    await waitUntil(`redis on ${port}`, () => redisCli(port, 'PING'), 15_000, redisNodeProcess(port));
  if ((await clusterInfo(settings.port)).cluster_known_nodes === '1') {
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        String(settings.replicasPerPrimary),
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
    log(
      `created a Redis Cluster of ${ports.length} nodes (${ports.length / (settings.replicasPerPrimary + 1)} primaries)`,
    );
  }
  await waitForRedisCluster(settings, 60_000);
  return stopped.length > 0 ? 'started' : 'already running';
}

/** Starts one node (a fault run bringing a stopped primary back: it rejoins as a replica of its successor). */
export function startRedisNode(settings: RedisClusterSettings, port: number): void {
  const dir = join(stackDir(), 'redis', String(port));
  mkdirSync(dir, { recursive: true });
  startDetached(
    redisNodeProcess(port),
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      String(settings.nodeTimeoutMs),
      '--appendonly',
      'yes',
      '--save',
      '',
    ],
    { cwd: dir },
  );
}

/** Until every running node answers cluster_state:ok with all slots assigned. */
export async function waitForRedisCluster(settings: RedisClusterSettings, timeoutMs: number): Promise<void> {
  const ports = redisClusterPorts(settings).filter((port) => runningPid(redisNodeProcess(port)) !== undefined);
  await waitUntil(
    `Redis Cluster on ${ports.join(',')}`,
    async () => {
      for (const port of ports) {
        const info = await clusterInfo(port);
        if (info.cluster_state !== 'ok' || info.cluster_slots_ok !== '16384')
          throw new Error(`node ${port}: cluster_state ${info.cluster_state}, slots ok ${info.cluster_slots_ok}`);
      }
    },
    timeoutMs,
  );
}

export async function describeRedisCluster(settings: RedisClusterSettings): Promise<string> {
  const info = await clusterInfo(settings.port);
  if (info.cluster_state !== 'ok') throw new Error(`cluster_state ${info.cluster_state}`);
  return `${info.cluster_known_nodes} nodes, ${info.cluster_size} primaries, state ok`;
}

/** The node's role and, for a primary, its port: what a fault run needs to pick a primary to stop. */
export async function redisPrimaries(settings: RedisClusterSettings): Promise<number[]> {
  const nodes = await redisCli(settings.port, 'CLUSTER', 'NODES');
  return nodes
    .split('\n')
    .filter((line) => / master(,|\s)/.test(line) && !line.includes('fail'))
    .map((line) => Number(/:(\d+)@/.exec(line)?.[1]))
    .filter((port) => Number.isInteger(port));
}

export async function stopRedisCluster(settings: RedisClusterSettings): Promise<'stopped' | 'killed' | 'not running'> {
  const outcomes = await Promise.all(redisClusterPorts(settings).map((p) => stopProcess(redisNodeProcess(p), 10_000)));
  return outcomes.find((o) => o === 'killed') ?? outcomes.find((o) => o === 'stopped') ?? 'not running';
}

async function clusterInfo(port: number): Promise<Record<string, string>> {
  const text = await redisCli(port, 'CLUSTER', 'INFO');
  return Object.fromEntries(
    text
      .split(/\r?\n/)
      .filter((line) => line.includes(':'))
      .map((line) => line.split(':', 2) as [string, string]),
  );
}

const run = promisify(execFile);

/** redis-cli, which comes with the server: no client library for a handful of admin commands. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 5000 });
  if (stdout.startsWith('ERR') || stdout.includes('Could not connect'))
    throw new Error(`redis-cli -p ${port} ${args.join(' ')}: ${stdout.trim()}`);
  return stdout.trim();
}
