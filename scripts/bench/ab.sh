#!/usr/bin/env bash
# Before and after, side by side on this machine: runs the drain benchmarks of viewers, counters, the queue, the
# wallet and the votes (BENCHES="viewers queue" picks some)
# from a worktree of an earlier revision (before) and from this checkout (after), alternately, so both see the
# same machine at nearly the same time. Prints each service's events/s per round and writes the outputs under
# .stack/ab/. Needs the local stack (pnpm tally stack up). Not a test: it prints numbers.
#   scripts/bench/ab.sh <revision> [rounds]      e.g. scripts/bench/ab.sh 0391220 2
set -euo pipefail
cd "$(dirname "$0")/../.."
rev=${1:?a revision to compare with, e.g. the commit before a change}
rounds=${2:-2}
# AB_QUICK=1: smaller sizes (fewer events and probes), to compare drain rates in minutes rather than an hour
quick() { [[ ${AB_QUICK:-} == 1 ]] && echo "$@"; true; }
out="$PWD/.stack/ab"
before=.stack/ab-worktree
mkdir -p "$out"
if [[ ! -d $before ]] || [[ $(git -C "$before" rev-parse HEAD) != $(git rev-parse "$rev") ]]; then
  rm -rf "$before"; git worktree prune
  git worktree add -f --detach "$before" "$rev" >/dev/null
fi
(cd "$before" && pnpm install --frozen-lockfile --reporter=silent && pnpm -s build:console >/dev/null)
# the older benchmarks register their schemas at start; the stack may already hold newer (compatible) versions
# of them that the older ones cannot be registered after, so they use the stack as it is
sed -i 's/^  await stackUp(() => undefined);/  \/\/ ab.sh: the stack is up already\n  void stackUp;/' "$before"/scripts/bench/lib.ts "$before"/scripts/bench/viewers.ts

run() { # side dir bench round
  local side=$1 dir=$2 bench=$3 round=$4
  local file="$out/$bench-$side-$round.txt"
  # the viewers benchmark keeps its history in one schema: start both sides from an empty one
  psql "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -qc 'DROP SCHEMA IF EXISTS viewer_aggregator_bench CASCADE' >/dev/null 2>&1 || true
  case $bench in
    viewers) (cd "$dir" && timeout 900 pnpm -s bench:viewers $(quick --seconds 8 --probes 30) >"$file" 2>&1) || true ;;
    counters) (cd "$dir" && timeout 900 pnpm -s bench:counters --reads 500 --probes 50 $(quick --events 200000 --reads 300 --probes 30) >"$file" 2>&1) || true ;;
    queue) (cd "$dir" && timeout 900 npx tsx scripts/bench/queue.ts $(quick --quick) >"$file" 2>&1) || true ;;
    wallet) (cd "$dir" && timeout 900 npx tsx scripts/bench/wallet.ts --commands 100000 --reads 300 --probes 40 $(quick --commands 50000 --probes 20) >"$file" 2>&1) || true ;;
    votes) (cd "$dir" && timeout 900 pnpm -s bench:votes --ballots 100000 --probes 30 $(quick --ballots 60000 --probes 20) >"$file" 2>&1) || true ;;
  esac
  local rate
  rate=$(grep -E 'heartbeats/s processed|events/s processed|ballots/s counted' "$file" | grep -oE '[0-9]+$' | head -1 || true)
  printf '%-9s round %s  %-7s %8s events/s\n' "$bench" "$round" "$side" "${rate:-?}" | tee -a "$out/summary.txt"
}

: >"$out/summary.txt"
for round in $(seq 1 "$rounds"); do
  for bench in ${BENCHES:-viewers counters queue wallet votes}; do
    run before "$before" "$bench" "$round"
    run after . "$bench" "$round"
  done
done
