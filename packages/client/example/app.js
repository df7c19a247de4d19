// The example page's script: plain JavaScript on the browser bundle of @tally/client (no build step).
import { createTally } from './tally-client.js';
import { followRead } from './tally-client-live.js';

const params = new URLSearchParams(location.search);
const itemId = params.get('item') ?? 'song-1';
const streamId = params.get('stream') ?? 'live-1';
const tally = createTally({
  baseUrl: params.get('api') ?? 'http://127.0.0.1:8080',
  apiKey: params.get('key') ?? 'tally-dev-key',
  sourcePrefix: 'example',
});

// a visitor id kept by this browser: likes are one per user
const userId = localStorage.getItem('example.userId') ?? `visitor-${crypto.randomUUID().slice(0, 8)}`;
localStorage.setItem('example.userId', userId);

const show = (testId, value) => (document.querySelector(`[data-testid="${testId}"]`).textContent = String(value));
document.getElementById('title').textContent = `Song ${itemId}`;

let liked = false;
document.getElementById('like').addEventListener('click', () => {
  liked = !liked;
  void tally.items.like(itemId, { userId, liked });
});

let watch;
document.getElementById('play').addEventListener('click', (event) => {
  if (watch?.isPlaying) watch.pause();
  else if (watch) watch.play();
  else watch = tally.watch(streamId, { userId });
  event.target.textContent = watch.isPlaying ? '❚❚ Pause' : '▶ Watch the live stream';
});

// a view per page load: a plain counter (no set semantics), so a duplicate would show
void tally.items.view(itemId, { userId });

// public aggregates, live: read every 2 s while the tab is visible (they are open and rate limited per address)
followRead(
  () => tally.items.counts(itemId),
  (counts) => (show('likes', counts.likes), show('views', counts.views)),
);
followRead(
  () => tally.streams.viewers(streamId),
  (viewers) => show('viewers', viewers.concurrent),
);
setInterval(() => {
  show('pending', tally.client.pending);
  show('network', navigator.onLine ? 'online' : 'offline');
}, 500);

// for tests and the curious: the page's Tally
Object.assign(globalThis, { tally, example: { itemId, streamId, userId } });
