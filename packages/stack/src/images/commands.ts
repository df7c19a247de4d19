import type { Command } from 'commander';
import { buildImages, imageBytes, imageExists, type BuiltImage } from './build.js';
import { IMAGES, imageReference, type ImageName } from './catalogue.js';
import { dockerHost, engineDown, engineStatus, engineUp } from './engine.js';

const log = (line: string) => console.log(line);
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

function summary(built: BuiltImage[]): void {
  log('');
  for (const image of built) {
    const size = image.bytes ? megabytes(image.bytes) : '-';
    log(`${image.reference.padEnd(42)} ${image.outcome.padEnd(10)} ${image.seconds.toFixed(1).padStart(6)} s  ${size}`);
  }
}

/** `tally images build|list` and `tally engine up|down|status|env`: containers with podman on this machine. */
export function registerImageCommands(program: Command): void {
  const images = program
    .command('images')
    .description('the container images, built here from Debian’s packages, Maven Central’s jars and npm (podman)');
  images
    .command('build')
    .argument('[names...]', `images to build, with what they stand on (${IMAGES.map((i) => i.name).join(', ')})`)
    .option('--rebuild', 'build the base images (debian, node, java) again even if present')
    .description('build the images (all by default); an image whose variable is set (e.g. KAFKA_IMAGE) is used instead')
    .action((names: ImageName[], options: { rebuild?: boolean }) => {
      const wanted = names.length > 0 ? names : IMAGES.map((image) => image.name);
      const started = performance.now();
      summary(buildImages(wanted, { rebuild: options.rebuild ?? false, log }));
      log(`\n${((performance.now() - started) / 1000).toFixed(0)} s in all`);
    });
  images
    .command('list')
    .description('each image: its reference (or its variable’s), the public image it stands for, its size here')
    .action(() => {
      for (const spec of IMAGES) {
        const reference = imageReference(spec.name);
        const size = imageExists(reference) ? megabytes(imageBytes(reference)) : 'not built';
        log(
          `${spec.name.padEnd(16)} ${reference.padEnd(40)} ${size.padEnd(10)} ${spec.variable} (public: ${spec.publicReference})`,
        );
      }
    });

  const engine = program
    .command('engine')
    .description('podman’s Docker-compatible socket for docker-compose and Testcontainers, and its health ticker');
  engine
    .command('up')
    .description('start the socket service and the health ticker (idempotent)')
    .action(async () => {
      await engineUp(log);
      log(`export DOCKER_HOST=${dockerHost()}`);
    });
  engine
    .command('down')
    .description('stop them (containers keep running: `docker-compose down` stops those)')
    .action(engineDown);
  engine.command('status').action(async () => {
    const status = await engineStatus();
    log(`socket ${status.socket}: ${status.answering ? 'answering' : 'not answering'}`);
    log(`health ticker: ${status.ticker ? 'running' : 'stopped'}`);
    if (!status.answering) process.exitCode = 1;
  });
  engine
    .command('env')
    .description('the variables that point Docker tools at podman, as shell exports')
    .action(() => {
      log(`export DOCKER_HOST=${dockerHost()}`);
      // Ryuk, Testcontainers' reaper, is an image from Docker Hub; the harness stops its containers itself
      log('export TESTCONTAINERS_RYUK_DISABLED=true');
    });
}
