/**
 * Generates src/generated.ts from the .avsc files in the top-level schemas/ folder, so the TypeScript types
 * of every record are written once, by the schema. `--check` fails (exit 1) when the committed file is stale,
 * which CI runs so a schema change without regenerated types cannot land.
 */
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTypes, type AvroSchema } from '../src/codegen.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const schemaDir = join(root, 'schemas');
const target = join(root, 'packages/schemas/src/generated.ts');

function avscFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? avscFiles(join(dir, entry.name)) : entry.name.endsWith('.avsc') ? [join(dir, entry.name)] : []))
    .sort();
}

const schemas = avscFiles(schemaDir).map((file) => ({
  file: relative(root, file),
  schema: JSON.parse(readFileSync(file, 'utf8')) as AvroSchema,
}));
const output = renderTypes(schemas);

if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current !== output) {
    console.error(`${relative(root, target)} is stale: run \`pnpm gen\` and commit the result.`);
    process.exit(1);
  }
  console.log(`${relative(root, target)} is up to date with ${schemas.length} schema file(s).`);
} else {
  writeFileSync(target, output);
  console.log(`wrote ${relative(root, target)} from ${schemas.length} schema file(s).`);
}
