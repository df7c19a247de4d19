/**
 * The production build: every workspace package's sources compiled to JavaScript, to run with plain `node`.
 *
 *   pnpm build                 compile each package's src/ to dist/ (beside it, same layout)
 *   pnpm build --out <dir>     also assemble the deployable app in <dir>: each package's package.json (its
 *                              exports pointing at dist/), dist/, migrations/ and the console's static files,
 *                              with the lockfile; `pnpm install --prod --frozen-lockfile` there installs the
 *                              production dependencies only (the Dockerfile does this)
 *
 * Types are checked by `pnpm typecheck`, not here: the sources are written for per-file transpiling
 * (isolatedModules, verbatimModuleSyntax), so esbuild turns each file into its JavaScript on its own, keeping
 * the folder layout. That layout matters: services find their migrations, Lua scripts and the console through
 * paths relative to their own module (`new URL('../migrations', import.meta.url)`), the same from dist/ as from
 * src/. Nothing is bundled, so those paths and the packages' dependencies stay as they are.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { repoRoot, workspacePackages, type WorkspacePackage } from './workspaces.js';

/** What a package ships besides dist/: read at run time through paths relative to the compiled modules. */
const RUNTIME_FOLDERS = ['migrations', 'console/dist'];
const ROOT_FILES = ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** Unit tests live beside the code; they are not part of what runs. */
const isShipped = (path: string) => !/\.test\.ts$|[/\\]__fixtures__[/\\]/.test(path);

async function compile(workspace: WorkspacePackage): Promise<number> {
  const src = join(repoRoot, workspace.dir, 'src');
  if (!existsSync(src)) return 0;
  const out = join(repoRoot, workspace.dir, 'dist');
  rmSync(out, { recursive: true, force: true });
  const sources = files(src).filter(isShipped);
  const typescript = sources.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'));
  await build({
    entryPoints: typescript,
    outdir: out,
    outbase: src,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  // Lua scripts and other assets sit beside the modules that load them.
  for (const asset of sources.filter((path) => !path.endsWith('.ts'))) {
    const target = join(out, relative(src, asset));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(asset, target);
  }
  return typescript.length;
}

/** `./src/x.ts` → `./dist/x.js`, in exports and bin, so `import '@tally/storage'` loads the compiled module. */
function compiledEntry(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/^\.\/src\/(.*)\.ts$/, './dist/$1.js');
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, compiledEntry(entry)]));
  }
  return value;
}

/**
 * The services and the operator CLI (its `setup` is the deployment's setup job), with the workspace packages they
 * depend on at run time: test-only packages (the testkit, with vitest and testcontainers) stay out of the image.
 */
function shippedWorkspaces(all: WorkspacePackage[]): WorkspacePackage[] {
  const byName = new Map(all.map((workspace) => [workspace.manifest.name, workspace]));
  const shipped = new Set<WorkspacePackage>();
  const visit = (workspace: WorkspacePackage) => {
    if (shipped.has(workspace)) return;
    shipped.add(workspace);
    const dependencies = Object.keys(workspace.manifest.dependencies ?? {});
    for (const name of dependencies) {
      const dependency = byName.get(name);
      if (dependency) visit(dependency);
    }
  };
  for (const workspace of all) {
    const isRoot = workspace.dir.startsWith('services/') || workspace.manifest.name === '@tally/stack';
    if (isRoot) visit(workspace);
  }
  return [...shipped];
}

function assemble(all: WorkspacePackage[], out: string): void {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const file of ROOT_FILES) cpSync(join(repoRoot, file), join(out, file));
  for (const { dir, manifest } of shippedWorkspaces(all)) {
    const target = join(out, dir);
    mkdirSync(target, { recursive: true });
    const { exports, bin, scripts: _scripts, ...rest } = manifest;
    const shipped = { ...rest, exports: compiledEntry(exports), ...(bin ? { bin: compiledEntry(bin) } : {}) };
    writeFileSync(join(target, 'package.json'), `${JSON.stringify(shipped, null, 2)}\n`);
    for (const folder of ['dist', ...RUNTIME_FOLDERS]) {
      const source = join(repoRoot, dir, folder);
      if (existsSync(source)) cpSync(source, join(target, folder), { recursive: true });
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const started = performance.now();
  const all = workspacePackages();
  let modules = 0;
  for (const workspace of all) modules += await compile(workspace);
  console.log(`compiled ${modules} modules of ${all.length} packages in ${Math.round(performance.now() - started)} ms`);
  if (values.out) {
    assemble(all, values.out);
    console.log(`assembled the app in ${values.out}: run \`pnpm install --prod --frozen-lockfile\` there`);
  }
}

await main();
