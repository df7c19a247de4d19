/**
 * A Postgres cluster of the fault run's own (initdb in a fresh folder, its own port), so the run can crash and
 * restart it without touching the machine's Postgres. Postgres refuses to run as root: as root, its tools run
 * as the `postgres` user, who owns the data folder.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createPool } from '@tally/storage';
import { waitUntil } from '@tally/stack';

export interface PrivatePostgres {
  url: string;
  /** An immediate (crash) stop and a start: committed work must survive through the WAL, nothing else. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const asPostgresUser = (command: string, args: string[]) =>
  userInfo().uid === 0
    ? execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' })
    : execFileSync(command, args, { stdio: 'pipe' });

export async function startPrivatePostgres(folder: string, port: number): Promise<PrivatePostgres> {
  const data = join(folder, 'data');
  const logFile = join(folder, 'postgres.log');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  if (userInfo().uid === 0) {
    const postgresUser = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const postgresGroup = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    for (const path of [folder, data]) chownSync(path, postgresUser, postgresGroup);
  }
  asPostgresUser('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on`;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const start = async () => {
    asPostgresUser('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
    await waitUntil(`postgres on ${port}`, () => ping(url), 30_000);
  };
  const stop = (mode: 'fast' | 'immediate') =>
    asPostgresUser('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
  await start();
  return {
    url,
    restart: async () => {
      stop('immediate');
      await start();
    },
    stop: async () => {
      try {
        stop('fast');
      } catch {
        // already stopped
      }
    },
  };
}

async function ping(url: string): Promise<void> {
  const pool = createPool(url, 1);
  try {
    await pool.query('SELECT 1');
  } finally {
    await pool.end();
  }
}
