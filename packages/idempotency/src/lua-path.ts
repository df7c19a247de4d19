import { fileURLToPath } from 'node:url';

/** Where the includable Lua building blocks live, for the storage package's script loader. */
export function luaInclude(name: 'seq-window.lua' | 'offset-fence.lua'): string {
  return fileURLToPath(new URL(`./lua/${name}`, import.meta.url));
}
