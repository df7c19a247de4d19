import { describe, expect, it } from 'vitest';
import { cpuSecondsOfStat, intervalUse, metricTotal, rssBytesOfStatus } from './resources.js';

describe('cpuSecondsOfStat', () => {
  it('adds utime and stime, in ticks of 1/100 s, after a command name with spaces and parentheses', () => {
    // fields 1-13, then utime 250 and stime 150 (fields 14, 15), then the rest
    const stat = '4242 (node (tsx) x) S 1 4242 4242 0 -1 4194560 9000 0 0 0 250 150 0 0 20 0 11 0 100 1000 200';
    expect(cpuSecondsOfStat(stat)).toBe(4);
  });
});

describe('rssBytesOfStatus', () => {
  it('reads VmRSS in bytes', () => {
    expect(rssBytesOfStatus('Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t  2048 kB\nThreads:\t11\n')).toBe(2 * 2 ** 20);
  });

  it('says so when there is no VmRSS (the process is gone)', () => {
    expect(() => rssBytesOfStatus('Name:\tnode\n')).toThrow(/VmRSS/);
  });
});

describe('metricTotal', () => {
  const exposition = [
    '# HELP tally_nodejs_gc_duration_seconds Garbage collection duration by kind',
    'tally_nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor",service="x"} 10',
    'tally_nodejs_gc_duration_seconds_sum{kind="minor",service="x"} 0.25',
    'tally_nodejs_gc_duration_seconds_sum{kind="major",service="x"} 1.5',
    'tally_nodejs_gc_duration_seconds_sum_other 99',
    'tally_process_cpu_seconds_total 7',
  ].join('\n');

  it('sums every label set of the metric, and only of that metric', () => {
    expect(metricTotal(exposition, 'tally_nodejs_gc_duration_seconds_sum')).toBe(1.75);
    expect(metricTotal(exposition, 'tally_process_cpu_seconds_total')).toBe(7);
    expect(metricTotal(exposition, 'tally_missing')).toBe(0);
  });
});

describe('intervalUse', () => {
  it('is CPU over wall time, and GC over CPU and over wall time', () => {
    const before = { atMs: 0, rssBytes: 0, cpuSeconds: 10, gcSeconds: 1 };
    const after = { atMs: 10_000, rssBytes: 0, cpuSeconds: 15, gcSeconds: 1.5 };
    expect(intervalUse(before, after)).toEqual({
      seconds: 10,
      cpuPercent: 50,
      gcShareOfBusyPercent: 10,
      gcShareOfWallPercent: 5,
    });
  });
});
