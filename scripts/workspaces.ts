/**
 * The workspace's packages, as pnpm-workspace.yaml lists them (packages/*, services/*): each one's folder,
 * relative to the repository, and its package.json. For the scripts that work over all of them (project
 * references, the production build); found from this file, so they run from any working directory.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [field: string]: unknown;
}

export interface WorkspacePackage {
  /** e.g. `services/wallet-ledger` */
  dir: string;
  manifest: PackageJson;
}

export function workspacePackages(): WorkspacePackage[] {
  return ['packages', 'services'].flatMap((parent) =>
    readdirSync(join(repoRoot, parent))
      .sort()
      .map((name) => `${parent}/${name}`)
      .filter((dir) => existsSync(join(repoRoot, dir, 'package.json')))
      .map((dir) => ({
        dir,
        manifest: JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as PackageJson,
      })),
  );
}
