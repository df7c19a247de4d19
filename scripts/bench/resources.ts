/**
 * What a service process spends while it works: resident memory and CPU time as the kernel counts them
 * (/proc/<pid>/status and /proc/<pid>/stat, so a service too busy to answer HTTP is still measured), and time
 * in garbage collection as the service's own /metrics reports it (prom-client's default metrics, which every
 * Tally service registers with the `tally_` prefix: see packages/observability).
 */
import { readFile } from 'node:fs/promises';

/** One reading of a process; CPU and GC are totals since it started, so two readings make an interval. */
export interface ResourceSample {
  atMs: number;
  rssBytes: number;
  cpuSeconds: number;
  gcSeconds: number;
}

/** What a process used between two readings. */
export interface IntervalUse {
  seconds: number;
  /** CPU time over wall time, in % of one core (a process busy on two cores shows 200). */
  cpuPercent: number;
  /**
   * Time in GC over CPU time: the share of the process's work that was collecting garbage, in %. The GC time is
   * the pauses' wall time (prom-client times them so), so on cores shared with busier processes it includes
   * time the paused process waited for a core, and this share overstates GC; see gcShareOfWallPercent.
   */
  gcShareOfBusyPercent: number;
  /** Time in GC pauses over wall time, in %: how much of the interval the process was stopped collecting. */
  gcShareOfWallPercent: number;
}

/**
 * The kernel's clock ticks per second (USER_HZ), the unit of utime and stime in /proc/<pid>/stat: 100 on every
 * Linux build Node runs on (`getconf CLK_TCK`), and Node has no API to ask it.
 */
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a /proc/<pid>/stat line, in seconds. */
export function cpuSecondsOfStat(stat: string): number {
  // the command name (field 2) may hold spaces and parentheses: the fields after it start after the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 14 and 15 of the line (utime, stime); this slice starts at field 3
  const ticks = Number(fields[14 - 3]) + Number(fields[15 - 3]);
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** VmRSS of a /proc/<pid>/status text, in bytes. */
export function rssBytesOfStatus(status: string): number {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!kib) throw new Error('no VmRSS line in /proc/<pid>/status (has the process exited?)');
  return Number(kib[1]) * 1024;
}

/** The sum of every series of one metric in a Prometheus text exposition (all label sets). */
export function metricTotal(exposition: string, name: string): number {
  let total = 0;
  for (const line of exposition.split('\n'))
    if (line.startsWith(name) && (line[name.length] === '{' || line[name.length] === ' '))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

/** GC pauses of every kind (prom-client reports minor, major, incremental and weakcb apart). */
const GC_SECONDS = 'tally_nodejs_gc_duration_seconds_sum';

/** Reads the process `pid` (RSS, CPU) and its service's /metrics at `metricsUrl` (GC), now. */
export async function sampleProcess(pid: number, serviceUrl: string): Promise<ResourceSample> {
  const [status, stat, metrics] = await Promise.all([
    readFile(`/proc/${pid}/status`, 'utf8'),
    readFile(`/proc/${pid}/stat`, 'utf8'),
    fetch(`${serviceUrl}/metrics`).then((r) => r.text()),
  ]);
  return {
    atMs: performance.now(),
    rssBytes: rssBytesOfStatus(status),
    cpuSeconds: cpuSecondsOfStat(stat),
    gcSeconds: metricTotal(metrics, GC_SECONDS),
  };
}

/** CPU and GC between two readings of the same process. */
export function intervalUse(before: ResourceSample, after: ResourceSample): IntervalUse {
  const seconds = (after.atMs - before.atMs) / 1000;
  const cpu = after.cpuSeconds - before.cpuSeconds;
  const gc = after.gcSeconds - before.gcSeconds;
  return {
    seconds,
    cpuPercent: seconds > 0 ? (100 * cpu) / seconds : NaN,
    gcShareOfBusyPercent: cpu > 0 ? (100 * gc) / cpu : NaN,
    gcShareOfWallPercent: seconds > 0 ? (100 * gc) / seconds : NaN,
  };
}

export const mebibytes = (bytes: number) => Math.round(bytes / 2 ** 20);
