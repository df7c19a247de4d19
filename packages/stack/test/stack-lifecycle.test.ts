import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { TOPICS, topicCatalogue } from '@tally/contracts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
// a second, private stack beside the one the other tests use (and the cluster profile's): own folder, own ports
const dir = mkdtempSync(join(tmpdir(), 'tally-stack-'));
const env = {
  ...process.env,
  TALLY_STACK_PROFILE: 'single',
  TALLY_STACK_DIR: dir,
  TALLY_KAFKA_PORT: '39092',
  TALLY_KAFKA_CONTROLLER_PORT: '39093',
  TALLY_REGISTRY_PORT: '38081',
  TALLY_KAFKA_HEAP_MB: '512',
};
const tally = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', cli, ...args], { env, timeout: 240_000 });

/** A pattern matching `text` as it is, dots and all. */
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const deadLetters = literally(TOPICS.deadLetters.name);

const pids = () => ['kafka.pid', 'registry.pid'].map((f) => Number(readFileSync(join(dir, f), 'utf8')));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

afterAll(async () => {
  await tally('stack', 'down').catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('tally stack up, status and down', () => {
  it('brings the stack up, is harmless twice, reports it, and leaves nothing running after down', async () => {
    const up = await tally('stack', 'up');
    expect(up.stdout).toMatch(/kafka +127\.0\.0\.1:39092: started/);
    expect(up.stdout).toMatch(/registry +http:\/\/127\.0\.0\.1:38081\/apis\/ccompat\/v7: started/);
    // every topic of the catalogue, the shared ones and each default region's
    for (const { name } of topicCatalogue())
      expect(up.stdout).toMatch(new RegExp(`topic +${literally(name)}: created`));
    expect(up.stdout).toMatch(
      new RegExp(`schema +${deadLetters}-value: ${literally(TOPICS.deadLetters.valueSchema)} id \\d+`),
    );
    const started = pids();

    const again = await tally('stack', 'up');
    expect(again.stdout).toMatch(/kafka .*: already running/);
    expect(again.stdout).toMatch(/registry .*: already running/);
    expect(again.stdout).toMatch(new RegExp(`topic +${deadLetters}: unchanged`));
    expect(pids()).toEqual(started);

    const status = JSON.parse((await tally('stack', 'status', '--json')).stdout) as { name: string; up: boolean }[];
    expect(status.map((s) => [s.name, s.up])).toEqual([
      ['kafka', true],
      ['schema-registry', true],
      ['redis', true],
      ['postgres', true],
    ]);

    const down = await tally('stack', 'down');
    expect(down.stdout).toMatch(/registry +stopped/);
    expect(down.stdout).toMatch(/kafka +stopped/);
    for (const pid of started) expect(alive(pid), `pid ${pid}`).toBe(false);
    for (const port of [39092, 39093, 38081]) expect(await portFree(port), `port ${port}`).toBe(true);

    const after = await tally('stack', 'status').catch((error: { code: number; stdout: string }) => error);
    expect((after as { code: number }).code).toBe(1);
    expect((after as { stdout: string }).stdout).toMatch(/kafka +DOWN/);
    expect((await tally('stack', 'down')).stdout).toMatch(/kafka +not running/);
  });
});
