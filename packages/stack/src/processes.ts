import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stackDir } from './paths.js';

/** A background process of the stack, known by its pid file and its log file. */
export interface ManagedProcess {
  name: string;
  pidFile: string;
  logFile: string;
}

/** A process of the stack by its file name: `<stack dir>/<file>.pid`, and its output in `<stack dir>/logs/<file>.log`. */
export function stackProcess(file: string, name = file): ManagedProcess {
  return { name, pidFile: join(stackDir(), `${file}.pid`), logFile: join(stackDir(), 'logs', `${file}.log`) };
}

export function readPid(proc: ManagedProcess): number | undefined {
  if (!existsSync(proc.pidFile)) return undefined;
  const pid = Number(readFileSync(proc.pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the running process, or undefined (a stale pid file is removed). */
export function runningPid(proc: ManagedProcess): number | undefined {
  const pid = readPid(proc);
  if (pid !== undefined && isAlive(pid)) return pid;
  if (pid !== undefined) rmSync(proc.pidFile, { force: true });
  return undefined;
}

/** Starts `command` detached in its own process group, so it outlives this CLI and is stopped as a group. */
export function startDetached(
  proc: ManagedProcess,
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): number {
  mkdirSync(dirname(proc.logFile), { recursive: true });
  mkdirSync(dirname(proc.pidFile), { recursive: true });
  const log = openSync(proc.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  if (child.pid === undefined) throw new Error(`could not start ${proc.name} (${command})`);
  child.unref();
  writeFileSync(proc.pidFile, String(child.pid));
  return child.pid;
}

/** SIGTERM to the process group, then SIGKILL after `graceMs`; resolves once nothing of it is left. */
export async function stopProcess(
  proc: ManagedProcess,
  graceMs = 20_000,
): Promise<'stopped' | 'killed' | 'not running'> {
  const pid = runningPid(proc);
  if (pid === undefined) return 'not running';
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid) && !groupAlive(pid)) break;
    await sleep(200);
  }
  let outcome: 'stopped' | 'killed' = 'stopped';
  if (isAlive(pid) || groupAlive(pid)) {
    signalGroup(pid, 'SIGKILL');
    outcome = 'killed';
    while (isAlive(pid) || groupAlive(pid)) await sleep(100);
  }
  rmSync(proc.pidFile, { force: true });
  return outcome;
}

/** SIGKILL to the process group at once (a crash: nothing flushed); resolves once nothing of it is left. */
export async function killProcess(proc: ManagedProcess): Promise<'killed' | 'not running'> {
  const pid = runningPid(proc);
  if (pid === undefined) return 'not running';
  signalGroup(pid, 'SIGKILL');
  while (isAlive(pid) || groupAlive(pid)) await sleep(100);
  rmSync(proc.pidFile, { force: true });
  return 'killed';
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it resolves, or fails with the last error and the tail of the log after `timeoutMs`. */
export async function waitUntil(
  what: string,
  probe: () => Promise<unknown>,
  timeoutMs: number,
  proc?: ManagedProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await probe();
      return;
    } catch (error) {
      last = error;
    }
    if (proc && readPid(proc) !== undefined && runningPid(proc) === undefined) {
      throw new Error(`${proc.name} exited while starting; last lines of ${proc.logFile}:\n${tail(proc.logFile)}`);
    }
    await sleep(250);
  }
  const logTail = proc ? `\nlast lines of ${proc.logFile}:\n${tail(proc.logFile)}` : '';
  throw new Error(
    `${what} not ready after ${timeoutMs / 1000} s: ${last instanceof Error ? last.message : String(last)}${logTail}`,
  );
}

export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}
