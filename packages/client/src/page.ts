/**
 * A browser page's life, as the SDK needs it: when the page is hidden or goes away, every pending write leaves
 * at once in keepalive requests, which the browser finishes after the page is gone (sendBeacon cannot carry
 * the Authorization header a write needs); when the network comes back, what waited for it leaves at once
 * rather than at the end of its backoff.
 */
import type { TallyClient } from './client.js';

/** The part of `window` the SDK listens to (injectable for tests). */
export interface PageEvents {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
  document?: { visibilityState?: string };
}

export const currentPage = (): PageEvents | undefined => {
  const page = globalThis as unknown as Partial<PageEvents>;
  return page.document && page.addEventListener ? (page as PageEvents) : undefined;
};

/** Connects the client to the page's events; answers the function that disconnects it. */
export function followPage(client: TallyClient, page: PageEvents | undefined = currentPage()): () => void {
  if (!page) return () => undefined;
  const hidden = () => void client.closeSoon();
  const listeners: Record<string, () => void> = {
    online: () => void client.flush(true),
    pagehide: hidden,
    pageshow: () => client.resume(),
    visibilitychange: () => (page.document?.visibilityState === 'hidden' ? hidden() : client.resume()),
  };
  for (const [type, listener] of Object.entries(listeners)) page.addEventListener(type, listener);
  return () => {
    for (const [type, listener] of Object.entries(listeners)) page.removeEventListener(type, listener);
  };
}
