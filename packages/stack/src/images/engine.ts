import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deployDir, stackDir } from '../paths.js';
import { runningPid, stackProcess, startDetached, stopProcess, waitUntil } from '../processes.js';

/**
 * The container engine for tools that expect Docker: podman's Docker-compatible API on a unix socket
 * (`podman system service`), which docker-compose and Testcontainers reach through DOCKER_HOST, and the health
 * ticker that runs the containers' healthchecks (deploy/podman/health-ticker.sh says why one is needed here).
 * podman itself and its settings (deploy/podman/containers.conf) are installed by scripts/install.sh.
 */
export function engineSocket(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TALLY_ENGINE_SOCKET) return env.TALLY_ENGINE_SOCKET;
  const rootless = process.getuid?.() !== 0;
  return rootless
    ? join(env.XDG_RUNTIME_DIR ?? `/run/user/${process.getuid?.()}`, 'podman/podman.sock')
    : '/run/podman/podman.sock';
}

export const dockerHost = (env: NodeJS.ProcessEnv = process.env) => `unix://${engineSocket(env)}`;

const serviceProcess = () => stackProcess('podman-service');
const tickerProcess = () => stackProcess('health-ticker');

/** GET /_ping on the socket: "OK" from a Docker-compatible engine. */
export function pingEngine(socket = engineSocket()): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else reject(new Error(`/_ping answered ${res.statusCode}`));
    });
    req.on('timeout', () => req.destroy(new Error('/_ping timed out')));
    req.on('error', reject);
    req.end();
  });
}

const engineAnswers = (socket: string) =>
  pingEngine(socket).then(
    () => true,
    () => false,
  );

export function podmanVersion(): string | undefined {
  try {
    return execFileSync('podman', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** Starts the socket service (unless an engine already answers there) and the health ticker. */
export async function engineUp(log: (line: string) => void): Promise<'started' | 'already running'> {
  if (!podmanVersion()) throw new Error('podman is not installed: run scripts/install.sh');
  const socket = engineSocket();
  const answering = await engineAnswers(socket);
  if (!answering) {
    mkdirSync(dirname(socket), { recursive: true });
    startDetached(serviceProcess(), 'podman', ['system', 'service', '--time=0', `unix://${socket}`], {
      cwd: stackDir(),
    });
    await waitUntil(`podman's API on ${socket}`, () => pingEngine(socket), 30_000, serviceProcess());
    log(`podman system service: the Docker-compatible API on ${socket}`);
  }
  if (runningPid(tickerProcess()) === undefined) {
    startDetached(tickerProcess(), 'bash', [join(deployDir, 'podman', 'health-ticker.sh')], { cwd: stackDir() });
    log('health ticker: runs the containers’ healthchecks (no systemd here to time them)');
  }
  return answering ? 'already running' : 'started';
}

export async function engineDown(): Promise<void> {
  await stopProcess(tickerProcess(), 5_000);
  await stopProcess(serviceProcess(), 10_000);
}

export async function engineStatus(): Promise<{ socket: string; answering: boolean; ticker: boolean }> {
  const socket = engineSocket();
  return { socket, answering: await engineAnswers(socket), ticker: runningPid(tickerProcess()) !== undefined };
}
