// before/after: the same traffic at the same rate, sent by hand (the old runner) and through the SDK
import { runLoad as before } from './runner.js';
import { runLoad as after, percentile } from '../src/load/runner.js';
import { JOBS } from '../src/load/traffic.js';
const rate = Number(process.argv[2] ?? 1000), seconds = Number(process.argv[3] ?? 20);
const requests = { n: 0 };
const orig = globalThis.fetch;
globalThis.fetch = (u, i) => (requests.n++, orig(u, i));
const sum = (total) => { let sent = 0, acc = 0, ref = 0, fail = 0; const lat = []; for (const w of total.values()) { sent += w.sent; acc += w.accepted; ref += w.refused; fail += w.failed; lat.push(...w.latenciesMs); } return { sent, accepted: acc, refused: ref, failed: fail, p50: +percentile(lat, 50).toFixed(1), p99: +percentile(lat, 99).toFixed(1) }; };
for (const [name, run] of [['by hand (before)', before], ['SDK (after)', after], ['by hand (before)', before], ['SDK (after)', after]]) {
  requests.n = 0;
  const t0 = performance.now();
  const total = await run({ baseUrl: 'http://127.0.0.1:8080', apiKey: 'tally-dev-key', rate, seconds, jobs: JOBS });
  console.log(name.padEnd(18), JSON.stringify({ ...sum(total), requests: requests.n, wallSeconds: +((performance.now() - t0) / 1000).toFixed(1) }));
}
