/**
 * Writes deploy/topics.yaml from the topic catalogue of @tally/contracts and the production defaults, so the
 * topics are declared once, in code, and the YAML is a view of them for people and for tools. `--check` fails
 * (exit 1) when the committed file is stale, which `pnpm check` runs so a catalogue change cannot land without it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { declaredTopics } from '../src/topics.js';
import { renderTopicsYaml } from '../src/topics-yaml.js';
import { deployDir, repoRoot } from '../src/paths.js';

const target = join(deployDir, 'topics.yaml');
const declared = declaredTopics();
const output = renderTopicsYaml(declared);
const shown = relative(repoRoot, target);

if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current !== output) {
    console.error(`${shown} is stale: run \`pnpm gen:topics\` and commit the result.`);
    process.exit(1);
  }
  console.log(`${shown} is up to date with the catalogue's ${declared.topics.length} topics.`);
} else {
  writeFileSync(target, output);
  console.log(`wrote ${shown} from the catalogue's ${declared.topics.length} topics.`);
}
