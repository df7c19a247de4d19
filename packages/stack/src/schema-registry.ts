import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureMavenBuild } from './maven.js';
import { stackDir, thirdPartyDir } from './paths.js';
import { CLUSTER_PORTS, stackProfile } from './profile.js';
import { runningPid, stackProcess, startDetached, stopProcess, waitUntil, type ManagedProcess } from './processes.js';

/** Apicurio Registry 3 (3.0.9, see third_party/apicurio-registry/README.md), built from Maven Central, serving the Confluent API. */
export interface RegistrySettings {
  port: number;
  heapMb: number;
}

export function registrySettings(env: NodeJS.ProcessEnv = process.env): RegistrySettings {
  const port = stackProfile(env) === 'cluster' ? CLUSTER_PORTS.registry : 8081;
  return { port: Number(env.TALLY_REGISTRY_PORT ?? port), heapMb: Number(env.TALLY_REGISTRY_HEAP_MB ?? 384) };
}

export const registryUrl = (settings: RegistrySettings) => `http://127.0.0.1:${settings.port}/apis/ccompat/v7`;

const registryProject = join(thirdPartyDir, 'apicurio-registry');
const runnerJar = 'target/quarkus-app/quarkus-run.jar';

/** The built registry (a Quarkus fast-jar folder), which the schema-registry image copies. */
export const registryAppDir = join(registryProject, 'target', 'quarkus-app');

export function registryProcess(): ManagedProcess {
  return stackProcess('registry', 'schema-registry');
}

export function ensureRegistryJar(log: (line: string) => void): void {
  ensureMavenBuild(registryProject, runnerJar, log);
}

export async function startRegistry(
  settings: RegistrySettings,
  log: (line: string) => void,
): Promise<'started' | 'already running'> {
  ensureRegistryJar(log);
  const proc = registryProcess();
  if (runningPid(proc) !== undefined) {
    await waitForRegistry(settings, 60_000, proc);
    return 'already running';
  }
  // a registry of another checkout's stack on this port: use it rather than start one that cannot bind
  if (
    await pingRegistry(settings).then(
      () => true,
      () => false,
    )
  )
    return 'already running';
  const home = join(stackDir(), 'registry');
  mkdirSync(home, { recursive: true });
  if (!existsSync(join(registryProject, runnerJar))) throw new Error(`missing ${runnerJar} in ${registryProject}`);
  startDetached(
    proc,
    'java',
    [
      `-Xmx${settings.heapMb}m`,
      '-XX:+UseSerialGC',
      `-Dquarkus.http.port=${settings.port}`,
      '-Dquarkus.http.host=127.0.0.1',
      // a file, not memory: the broker keeps records across restarts, so the schema ids they carry must stay too
      `-Dapicurio.datasource.url=jdbc:h2:file:${join(home, 'registry')};DB_CLOSE_ON_EXIT=FALSE`,
      '-jar',
      join(registryProject, runnerJar),
    ],
    { cwd: home },
  );
  await waitForRegistry(settings, 120_000, proc);
  return 'started';
}

export async function pingRegistry(settings: RegistrySettings): Promise<void> {
  const response = await fetch(`${registryUrl(settings)}/subjects`, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}

export function waitForRegistry(settings: RegistrySettings, timeoutMs: number, proc?: ManagedProcess): Promise<void> {
  return waitUntil(`schema registry on ${registryUrl(settings)}`, () => pingRegistry(settings), timeoutMs, proc);
}

export function stopRegistry() {
  return stopProcess(registryProcess(), 20_000);
}
