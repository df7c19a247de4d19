/**
 * Why a target is missed on this machine: the analysis behind each miss, from CPU profiles of the service
 * (BENCH_NODE_OPTIONS="--import ./scripts/bench/cpu-profile.js", summarised by scripts/bench/profile-summary.ts)
 * and its batch timings. Written by hand from those runs; suite.ts prints it under every target it finds missed,
 * and says so plainly where a miss has no analysis yet.
 */
export interface Target {
  what: string;
  measured: number;
  target: string;
  met: boolean;
}

/** The start of a target's `what` → the cause and the profile that shows it. */
const causes: [string, string][] = [];

export function missedCauses(targets: Target[]): string[] {
  const missed = targets.filter((t) => !t.met);
  if (missed.length === 0) return ['## Targets missed', '', 'None.', ''];
  return [
    '## Targets missed: why, and where the time goes',
    '',
    ...missed.map((t) => {
      const cause = causes.find(([prefix]) => t.what.startsWith(prefix))?.[1];
      return `- **${t.what}**: ${t.measured} against ${t.target}. ${cause ?? 'Not analysed: no profile of this miss has been taken yet.'}`;
    }),
    '',
  ];
}
