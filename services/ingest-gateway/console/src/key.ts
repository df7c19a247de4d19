/**
 * The operator's API key for this tab: kept in sessionStorage (gone when the tab closes, never shared with other
 * tabs or written to disk for good like localStorage), sent as `Authorization: Bearer` by every request the page
 * makes and never put in a URL (URLs end up in logs and history).
 */
const STORAGE_NAME = 'tally.console.apiKey';

/** Where sessionStorage is unavailable (a locked-down browser), the key lives as long as the page. */
let fallback: string | undefined;

export function storedKey(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_NAME) ?? undefined;
  } catch {
    return fallback;
  }
}

export function rememberKey(key: string): void {
  try {
    sessionStorage.setItem(STORAGE_NAME, key);
  } catch {
    fallback = key;
  }
}

export function forgetKey(): void {
  fallback = undefined;
  try {
    sessionStorage.removeItem(STORAGE_NAME);
  } catch {
    // nothing was kept there
  }
}

/** The headers that present the key, for fetch(). */
export const keyHeaders = (key = storedKey()): Record<string, string> =>
  key ? { authorization: `Bearer ${key}` } : {};
