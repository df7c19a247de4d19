/**
 * Summarises .cpuprofile files (Chrome DevTools format, as --cpu-prof or cpu-profile.js write them): the top
 * functions by self time and the files or packages they live in, as shares of the busy (not idle) samples.
 * Usage: node --import tsx scripts/bench/profile-summary.ts <file.cpuprofile | dir> [--top 8]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '8' } },
});
const files = positionals.flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(p, f))
    : [p],
);

/** Where a function lives, short: node_modules/<package>/… → the package, else the path under the repo. */
function place(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0)
    return url
      .slice(modules + 13)
      .split('/')
      .slice(0, url.slice(modules + 13).startsWith('@') ? 2 : 1)
      .join('/');
  const repo = url.indexOf('/work/main/');
  return repo >= 0 ? url.slice(repo + 11) : url || '(native)';
}

function summarise(file: string, top: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMicros = new Map<string, number>();
  const placeMicros = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    // line numbers are left out: tsx compiles each file, so they rarely point at the source line
    const { functionName, url } = byId.get(id)!.callFrame;
    const name = `${functionName || '(anonymous)'} ${place(url)}`;
    selfMicros.set(name, (selfMicros.get(name) ?? 0) + delta);
    const where = place(url);
    placeMicros.set(where, (placeMicros.get(where) ?? 0) + delta);
    total += delta;
  });
  const idle = selfMicros.get('(idle) (native)') ?? 0;
  const busy = total - idle;
  selfMicros.delete('(idle) (native)');
  placeMicros.set('(native)', (placeMicros.get('(native)') ?? 0) - idle);
  const pct = (v: number) => `${((100 * v) / busy).toFixed(1)}%`.padStart(6);
  console.log(
    `${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (the shares below are of busy time)`,
  );
  console.log('  top self time:');
  for (const [name, micros] of [...selfMicros].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${pct(micros)}  ${name}`);
  console.log('  by package / file:');
  for (const [name, micros] of [...placeMicros].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${pct(micros)}  ${name}`);
}

for (const file of files) summarise(file, Number(values.top));
