/**
 * Writes the TypeScript project references from the workspace's package.json files, so `tsc -b` (pnpm typecheck)
 * checks the projects in dependency order and a project sees only what its package declares. With `--check` it
 * writes nothing and fails if a file is out of date (`pnpm check` runs it). Run `pnpm gen:references` after adding
 * a package, a test/ folder or a workspace dependency.
 *
 * The projects: each package's and service's tsconfig.json (its src/) references the workspace packages in its
 * `dependencies`; its test/tsconfig.json (and scripts/tsconfig.json, where its scripts use the tests' fixtures)
 * references the package and its `dependencies` and `devDependencies`. scripts/, tests/ and deploy/ reference the
 * root package.json's workspace packages and every service, keeping any other reference written by hand. The
 * root tsconfig.json lists them all. A new project's `include` starts as ["src"] or ["."]; after that it is
 * left as written. Either way it fails when a TypeScript file is in no project, since no check would see it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { format, resolveConfig } from 'prettier';
import ts from 'typescript';
import { repoRoot, workspacePackages, type PackageJson } from './workspaces.js';

const TOP_LEVEL_PROJECTS = ['scripts', 'tests', 'deploy'];
/** Checked apart from the solution by `pnpm typecheck`: the console, with its browser libs and bundler resolution. */
const SEPARATE_PROJECTS = ['services/ingest-gateway/console'];

interface Project {
  dir: string;
  defaultInclude: string[];
  references: string[];
  /** Top-level folders keep references added by hand (e.g. to a service's test fixtures). */
  keepExisting: boolean;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(repoRoot, path), 'utf8')) as T;
const exists = (path: string) => existsSync(join(repoRoot, path));

function projects(): Project[] {
  const packages = workspacePackages();
  const byName = new Map(packages.map(({ dir, manifest }) => [manifest.name, dir]));
  const workspaceDirs = (deps: Record<string, string> = {}) =>
    Object.keys(deps)
      .filter((name) => byName.has(name))
      .map((name) => byName.get(name)!)
      .sort();
  const found: Project[] = [];
  for (const { dir, manifest: pkg } of packages) {
    const runtime = workspaceDirs(pkg.dependencies);
    const all = [...new Set([...runtime, ...workspaceDirs(pkg.devDependencies)])].sort();
    found.push({ dir, defaultInclude: ['src'], references: runtime, keepExisting: false });
    if (exists(`${dir}/test`))
      found.push({ dir: `${dir}/test`, defaultInclude: ['.'], references: [dir, ...all], keepExisting: false });
    if (exists(`${dir}/scripts/tsconfig.json`)) {
      const tests = exists(`${dir}/test`) ? [`${dir}/test`] : [];
      found.push({
        dir: `${dir}/scripts`,
        defaultInclude: ['.'],
        references: [dir, ...tests, ...all],
        keepExisting: false,
      });
    }
  }
  const rootPackages = workspaceDirs(readJson<PackageJson>('package.json').devDependencies);
  const services = [...byName.values()].filter((dir) => dir.startsWith('services/'));
  for (const dir of TOP_LEVEL_PROJECTS)
    found.push({ dir, defaultInclude: ['.'], references: [...rootPackages, ...services], keepExisting: true });
  return found;
}

interface ProjectConfig {
  extends: string;
  include: string[];
  references?: { path: string }[];
}

function render(config: ProjectConfig): string {
  const lines = [`  "extends": ${JSON.stringify(config.extends)}`, `  "include": ${JSON.stringify(config.include)}`];
  if (config.references?.length) {
    const refs = config.references.map((r) => `    { "path": ${JSON.stringify(r.path)} }`);
    lines.push(`  "references": [\n${refs.join(',\n')}\n  ]`);
  }
  return `{\n${lines.join(',\n')}\n}\n`;
}

function projectFile(project: Project): string {
  const file = `${project.dir}/tsconfig.json`;
  const existing = exists(file) ? readJson<ProjectConfig>(file) : undefined;
  const fromRoot = (path: string) => relative(repoRoot, join(repoRoot, project.dir, path));
  const kept = project.keepExisting
    ? (existing?.references ?? []).map((r) => fromRoot(r.path)).filter((dir) => exists(`${dir}/tsconfig.json`))
    : [];
  // the project's own package (and its tests) first, then the others by path
  const home = project.dir.replace(/\/(test|scripts)$/, '');
  const isOwn = (dir: string) => dir === home || dir.startsWith(`${home}/`);
  const dirs = [...new Set([...project.references, ...kept])];
  const references = [...dirs.filter(isOwn), ...dirs.filter((dir) => !isOwn(dir)).sort()].map((dir) => ({
    path: relative(join(repoRoot, project.dir), join(repoRoot, dir)) || '.',
  }));
  return render({
    extends: relative(join(repoRoot, project.dir), join(repoRoot, 'tsconfig.base.json')),
    include: existing?.include ?? project.defaultInclude,
    references,
  });
}

function solutionFile(all: Project[]): string {
  const refs = all.map((p) => `    { "path": ${JSON.stringify(p.dir)} }`).join(',\n');
  return `// The solution: \`pnpm typecheck\` runs \`tsc -b\` here, which checks every project below in dependency order and
// then only what changed. Written by scripts/project-references.ts (\`pnpm gen:references\`), which says how each
// project's references follow its package.json.
{
  "extends": "./tsconfig.base.json",
  "files": ["vitest.config.ts"],
  "references": [
${refs}
  ]
}
`;
}

/** Laid out by Prettier with the repository's settings, so the files pass `pnpm format:check` as written. */
async function formatted(file: string, text: string): Promise<string> {
  const path = join(repoRoot, file);
  return format(text, { ...(await resolveConfig(path)), filepath: path });
}

/** TypeScript files that no project includes: `tsc -b` would never check them, and nothing else would say so. */
function filesNoProjectChecks(projectDirs: string[]): string[] {
  const included = new Set<string>();
  const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined };
  for (const dir of ['.', ...projectDirs, ...SEPARATE_PROJECTS]) {
    const config = join(repoRoot, dir, 'tsconfig.json');
    if (!existsSync(config)) continue;
    const parsed = ts.getParsedCommandLineOfConfigFile(config, {}, host);
    for (const file of parsed?.fileNames ?? []) included.add(relative(repoRoot, file));
  }
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.tsx'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  return listed.split('\n').filter((file) => file && exists(file) && !included.has(file));
}

const check = process.argv.includes('--check');
const all = projects();
const drafts: [string, string][] = all.map((p) => [`${p.dir}/tsconfig.json`, projectFile(p)]);
drafts.push(['tsconfig.json', solutionFile(all)]);
const files = await Promise.all(drafts.map(async ([file, text]) => [file, await formatted(file, text)] as const));
const stale = files.filter(([file, text]) => !exists(file) || readFileSync(join(repoRoot, file), 'utf8') !== text);
if (check) {
  if (stale.length) {
    console.error(`out of date (run pnpm gen:references): ${stale.map(([file]) => file).join(', ')}`);
    process.exit(1);
  }
} else {
  for (const [file, text] of stale) writeFileSync(join(repoRoot, file), text);
  console.log(stale.length ? `wrote ${stale.map(([file]) => file).join(', ')}` : 'project references up to date');
}
const orphans = filesNoProjectChecks(all.map((p) => p.dir));
if (orphans.length) {
  console.error(`in no TypeScript project (add the folder to a tsconfig.json "include"): ${orphans.join(', ')}`);
  process.exit(1);
}
