/**
 * Renders a kustomization with the real kustomize: `kubectl kustomize <dir>` (kustomize v5 is built into kubectl
 * and is what `kubectl apply -k` runs), so the tests check exactly what a cluster would be sent.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { asResource, type Resource } from './resources.js';

const run = promisify(execFile);

/** The objects `kubectl kustomize <dir>` prints, in its order (kustomize sorts them by kind, then name). */
export async function kustomize(dir: string): Promise<Resource[]> {
  const where = `kubectl kustomize ${dir}`;
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await run('kubectl', ['kustomize', dir], { maxBuffer: 64 * 1024 * 1024 }));
  } catch (error) {
    throw new Error(`${where} failed: ${failure(error)}`);
  }
  // kustomize warns on stderr about what it will stop accepting (a deprecated field): fix it now, not then
  if (stderr.trim() !== '') throw new Error(`${where} warned: ${stderr.trim()}`);
  return parseYaml(stdout, where).map((doc) => asResource(doc, where));
}

function failure(error: unknown): string {
  const { code, stderr } = error as { code?: unknown; stderr?: unknown };
  if (code === 'ENOENT') return 'kubectl is not installed (scripts/install.sh says how to get it)';
  return typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : String(error);
}

/** Every document of a YAML file, failing on any syntax error or warning; empty documents are skipped. */
export function parseYamlFile(path: string): unknown[] {
  return parseYaml(readFileSync(path, 'utf8'), path);
}

export function parseYaml(text: string, where: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new Error(`${where}: ${problems.map((p) => p.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}
