/**
 * jose, the JWT library the queue-admitter signs and verifies admission tokens with, loaded from the admitter's
 * own dependencies: the offline checks verify exactly as a site using that library would, with the same version,
 * and the root workspace needs no dependency of its own for it.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@tally/stack';
import type * as Jose from '../../../services/queue-admitter/node_modules/jose/dist/types/index.js';

export type JoseLibrary = typeof Jose;

let loaded: Promise<JoseLibrary> | undefined;

export function loadJose(): Promise<JoseLibrary> {
  loaded ??= (async () => {
    const resolve = createRequire(join(repoRoot, 'services', 'queue-admitter', 'package.json')).resolve;
    return (await import(pathToFileURL(resolve('jose')).href)) as JoseLibrary;
  })();
  return loaded;
}
