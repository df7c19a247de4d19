import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBrokerJars, kafkaLibsDir } from '../kafka-broker.js';
import { deployDir, repoRoot, stackDir } from '../paths.js';
import { ensureRegistryJar, registryAppDir } from '../schema-registry.js';
import { buildOrder, imageReference, type ImageName, type ImageSpec } from './catalogue.js';

export interface BuildOptions {
  /** Build the base images (Debian, Node, Java) again even if present. The others always build (layers cache). */
  rebuild: boolean;
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface BuiltImage {
  spec: ImageSpec;
  reference: string;
  outcome: 'built' | 'present' | 'configured';
  seconds: number;
  bytes: number;
}

const BASE_IMAGES: ImageName[] = ['debian', 'node', 'java'];
const DEBIAN_SUITE = 'bookworm';

const podman = (args: string[], options: { stdio?: 'inherit' | 'pipe' } = {}) =>
  execFileSync('podman', args, { encoding: 'utf8', stdio: ['ignore', options.stdio ?? 'pipe', 'inherit'] });

export function imageExists(reference: string): boolean {
  try {
    podman(['image', 'exists', reference]);
    return true;
  } catch {
    return false;
  }
}

export function imageBytes(reference: string): number {
  return Number(podman(['image', 'inspect', '--format', '{{.Size}}', reference]).trim());
}

/** Builds `names` and the images they stand on, bases first; an image whose variable is set is used, not built. */
export function buildImages(names: readonly ImageName[], options: BuildOptions): BuiltImage[] {
  const env = options.env ?? process.env;
  return buildOrder(names).map((spec) => {
    const reference = imageReference(spec.name, env);
    const started = performance.now();
    const result = (outcome: BuiltImage['outcome']): BuiltImage => ({
      spec,
      reference,
      outcome,
      seconds: (performance.now() - started) / 1000,
      bytes: outcome === 'configured' && !imageExists(reference) ? 0 : imageBytes(reference),
    });
    if (env[spec.variable]) {
      options.log(`${spec.name}: ${spec.variable}=${reference}, not built here`);
      return result('configured');
    }
    if (BASE_IMAGES.includes(spec.name) && !options.rebuild && imageExists(reference)) return result('present');
    options.log(`${spec.name}: building ${reference} (${spec.what})`);
    if (spec.name === 'debian') importDebian(reference, options.log);
    else podmanBuild(spec, reference, env, options.log);
    return result('built');
  });
}

function podmanBuild(spec: ImageSpec, reference: string, env: NodeJS.ProcessEnv, log: BuildOptions['log']): void {
  const [context, file] =
    spec.name === 'tally' ? [repoRoot, join(repoRoot, 'Dockerfile')] : stageContext(spec.name, log);
  // the images it stands on, as the build arguments its Containerfile declares
  const declared = readFileSync(file, 'utf8');
  const buildArgs = Object.fromEntries(
    Object.entries({
      BASE_IMAGE: imageReference('debian', env),
      JAVA_IMAGE: imageReference('java', env),
      NODE_IMAGE: imageReference('node', env),
    }).filter(([key]) => new RegExp(`^ARG ${key}\\b`, 'm').test(declared)),
  );
  podman(
    [
      'build',
      // Docker's image format: OCI's has no HEALTHCHECK, and compose waits on the images' health
      '--format',
      'docker',
      ...npmCaSecret(),
      '--tag',
      reference,
      '--file',
      file,
      ...Object.entries(buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]),
      context,
    ],
    { stdio: 'inherit' },
  );
}

/**
 * The CA the machine's npm trusts (its `cafile`, set where a TLS-inspecting proxy sits between it and the
 * registry), as the build secret the Dockerfile's npm and pnpm steps mount: only they see it, no image holds it.
 */
function npmCaSecret(): string[] {
  const cafile = execFileSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' }).trim();
  return cafile && cafile !== 'null' && existsSync(cafile) ? ['--secret', `id=npm-ca,src=${cafile}`] : [];
}

const stagingDir = (name: ImageName) => join(stackDir(), 'images', name);

/**
 * A build context under .stack/images/<name>: the image's folder of deploy/images, and what it copies from the
 * machine (Node), or from the local stack's Maven builds (Kafka's jars, the registry).
 */
function stageContext(name: ImageName, log: (line: string) => void): [context: string, file: string] {
  const context = stagingDir(name);
  rmSync(context, { recursive: true, force: true });
  cpSync(join(deployDir, 'images', name), context, { recursive: true });
  if (name === 'node') {
    cpSync(process.execPath, join(context, 'node'));
    const npmRoot = execFileSync('npm', ['root', '--global'], { encoding: 'utf8' }).trim();
    cpSync(join(npmRoot, 'npm'), join(context, 'npm'), { recursive: true });
  }
  if (name === 'kafka') {
    ensureBrokerJars(log);
    cpSync(kafkaLibsDir, join(context, 'libs'), { recursive: true });
  }
  if (name === 'schema-registry') {
    ensureRegistryJar(log);
    cpSync(registryAppDir, join(context, 'quarkus-app'), { recursive: true });
  }
  return [context, join(context, 'Containerfile')];
}

/**
 * The base of every image: Debian's minimal root filesystem made by debootstrap from Debian's own packages
 * (no image registry is needed), with the security and updates suites in its apt sources, imported as an image.
 */
function importDebian(reference: string, log: (line: string) => void): void {
  const mirror = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
  const security = process.env.DEBIAN_SECURITY_MIRROR ?? 'http://deb.debian.org/debian-security';
  if (process.getuid?.() !== 0)
    throw new Error(
      'debootstrap needs root to make the Debian base: run as root, or name a base image (TALLY_DEBIAN_IMAGE=debian:bookworm-slim where a registry is reachable)',
    );
  const rootfs = join(stagingDir('debian'), 'rootfs');
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(rootfs, { recursive: true });
  log(`debian: debootstrap --variant=minbase ${DEBIAN_SUITE} from ${mirror} (about a minute)`);
  execFileSync('debootstrap', ['--variant=minbase', DEBIAN_SUITE, rootfs, mirror], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  writeFileSync(
    join(rootfs, 'etc/apt/sources.list'),
    [
      `deb ${mirror} ${DEBIAN_SUITE} main`,
      `deb ${mirror} ${DEBIAN_SUITE}-updates main`,
      `deb ${security} ${DEBIAN_SUITE}-security main`,
      '',
    ].join('\n'),
  );
  for (const cache of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
    rmSync(join(rootfs, cache), { recursive: true, force: true });
    mkdirSync(join(rootfs, cache, 'partial'), { recursive: true });
  }
  execFileSync(
    'bash',
    [
      '-c',
      'tar -C "$1" -c . | podman import --change "CMD [\\"/bin/bash\\"]" - "$2" >/dev/null',
      'import',
      rootfs,
      reference,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  rmSync(rootfs, { recursive: true, force: true });
}
