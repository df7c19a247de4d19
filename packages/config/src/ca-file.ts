import { readFileSync } from 'node:fs';

/** Reads a file's text; injectable so the TLS option mappings are testable without files. */
export type ReadText = (path: string) => string;
export const readText: ReadText = (path) => readFileSync(path, 'utf8');

/** Treats an empty variable as unset, as @tally/config does. */
export const given = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

/** A CA bundle named by `variable`, read now (at start), refused unless it holds a PEM certificate. */
export function readCaFile(variable: string, path: string, read: ReadText = readText): string {
  let pem: string;
  try {
    pem = read(path);
  } catch (error) {
    throw new Error(`${variable}: cannot read ${path} (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`${variable}: ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return pem;
}
