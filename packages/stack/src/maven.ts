import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Resolves a component's jars from Maven Central with its pom under deploy/ or third_party/ (once; `target/` is
 * reused). The `marker` is a file the build produces; its absence means build.
 */
export function ensureMavenBuild(projectDir: string, marker: string, log: (line: string) => void): void {
  if (existsSync(join(projectDir, marker))) return;
  log(`resolving ${projectDir} from Maven Central (first run only)...`);
  const started = Date.now();
  execFileSync('mvn', ['-q', '-B', '-f', join(projectDir, 'pom.xml'), 'clean', 'package', '-DskipTests'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (!existsSync(join(projectDir, marker)))
    throw new Error(`Maven build of ${projectDir} finished but ${marker} is missing`);
  log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
