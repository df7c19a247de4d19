import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackProfile } from './profile.js';

/** The repository root, found from this file so the CLI works from any working directory. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Everything the local stack writes (broker data, registry, logs, pid files) lives in one git-ignored folder;
 * the cluster profile's in its `cluster` subfolder.
 */
export function stackDir(): string {
  const base = process.env.TALLY_STACK_DIR ?? join(repoRoot, '.stack');
  return stackProfile() === 'cluster' ? join(base, 'cluster') : base;
}

export const deployDir = join(repoRoot, 'deploy');

/** Other projects' code Tally builds for the local stack (the schema registry), each under its own licence. */
export const thirdPartyDir = join(repoRoot, 'third_party');
