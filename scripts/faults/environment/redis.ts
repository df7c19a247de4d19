/**
 * A Redis of the fault run's own, without persistence like the machine's, so FLUSHALL and a restart (which
 * loses everything) hit only this run's services.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { redisCli, waitUntil } from '@tally/stack';

export interface PrivateRedis {
  url: string;
  flushAll(): Promise<void>;
  /** SHUTDOWN NOSAVE and start again: with no persistence, every key is gone, as after a crash. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(folder: string, port: number): Promise<PrivateRedis> {
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    const log = openSync(join(folder, 'redis.log'), 'a');
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', folder],
      { stdio: ['ignore', log, log] },
    );
    await waitUntil(
      `redis on ${port}`,
      async () => {
        if ((await redisCli(port, 'PING')) !== 'PONG') throw new Error('no PONG');
      },
      15_000,
    );
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    await redisCli(port, 'SHUTDOWN', 'NOSAVE').catch(() => undefined);
    await exited;
  };
  await start();
  return {
    url,
    flushAll: async () => void (await redisCli(port, 'FLUSHALL')),
    restart: async () => {
      await stop();
      await start();
    },
    stop,
  };
}
