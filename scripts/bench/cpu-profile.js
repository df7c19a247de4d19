/**
 * Preload that CPU-profiles a Node process, for benchmarks. Node 20 refuses --cpu-prof in NODE_OPTIONS but
 * accepts --import, so a service a benchmark starts can be profiled with (lib.ts passes BENCH_<NAME> on as <NAME>)
 *   BENCH_NODE_OPTIONS="--import ./scripts/bench/cpu-profile.js" BENCH_CPU_PROFILE_DIR=/tmp/prof-<name>
 * The profile is written as <dir>/<pid>.cpuprofile (the format --cpu-prof writes) when the process exits
 * normally (a SIGTERM the service handles counts; SIGKILL does not). Summarise it with profile-summary.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  // microseconds: 1 ms, as --cpu-prof samples
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  // the main thread's own session answers synchronously, so this works inside 'exit'
  process.once('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
