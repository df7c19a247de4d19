import { describe, expect, it } from 'vitest';
import type { TallyClient } from './client.js';
import { followPage, type PageEvents } from './page.js';

function page() {
  const listeners = new Map<string, () => void>();
  const events: PageEvents & { fire(type: string): void; document: { visibilityState: string } } = {
    document: { visibilityState: 'visible' },
    addEventListener: (type, listener) => void listeners.set(type, listener),
    removeEventListener: (type) => void listeners.delete(type),
    fire: (type) => listeners.get(type)?.(),
  };
  return { events, listeners };
}

describe('following the page', () => {
  it('sends at once when the network is back, in keepalive requests when hidden or gone, ordinarily when back', () => {
    const calls: string[] = [];
    const client = {
      flush: async (everything?: boolean) => void calls.push(`flush(${String(everything)})`),
      closeSoon: async () => void calls.push('closeSoon'),
      resume: () => void calls.push('resume'),
    } as unknown as TallyClient;
    const { events, listeners } = page();
    const stop = followPage(client, events);
    events.fire('online');
    events.document.visibilityState = 'hidden';
    events.fire('visibilitychange');
    events.document.visibilityState = 'visible';
    events.fire('visibilitychange');
    events.fire('pagehide');
    events.fire('pageshow');
    expect(calls).toEqual(['flush(true)', 'closeSoon', 'resume', 'closeSoon', 'resume']);
    stop();
    expect(listeners.size).toBe(0);
  });

  it('outside a browser there is nothing to follow', () => {
    expect(followPage({} as TallyClient, undefined)()).toBeUndefined();
  });
});
