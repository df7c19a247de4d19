/** What the user chose to look at; it becomes the query of /console/events and of the page's own URL. */
export type RankingWindow = '1h' | '24h' | 'all';

export const rankingWindows: readonly RankingWindow[] = ['1h', '24h', 'all'];

export interface Selection {
  streams: string[]; // empty: the server charts its top 5
  metric: string;
  window: RankingWindow;
  queue: string;
  poll: string;
  wallet: string;
}

export const defaultSelection: Selection = {
  streams: [],
  metric: 'likes',
  window: '1h',
  queue: '',
  poll: '',
  wallet: '',
};

/** "a, b,,c " → ["a", "b", "c"]: what a user types into a comma list. */
export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function isWindow(value: string | null): value is RankingWindow {
  return value !== null && (rankingWindows as readonly string[]).includes(value);
}

/** Only what differs from "nothing chosen" goes into the query, so the server's defaults apply otherwise. */
export function selectionParams(s: Selection): URLSearchParams {
  const params = new URLSearchParams();
  if (s.streams.length > 0) params.set('streams', s.streams.join(','));
  params.set('metric', s.metric || defaultSelection.metric);
  params.set('window', s.window);
  if (s.queue) params.set('queue', s.queue);
  if (s.poll) params.set('poll', s.poll);
  if (s.wallet) params.set('wallet', s.wallet);
  return params;
}

/** The page's URL carries the same params, so a reload or a shared link opens the same view. */
export function selectionFromQuery(search: string): Selection {
  const q = new URLSearchParams(search);
  const window = q.get('window');
  return {
    streams: parseList(q.get('streams') ?? ''),
    metric: q.get('metric')?.trim() || defaultSelection.metric,
    window: isWindow(window) ? window : defaultSelection.window,
    queue: q.get('queue')?.trim() ?? '',
    poll: q.get('poll')?.trim() ?? '',
    wallet: q.get('wallet')?.trim() ?? '',
  };
}
