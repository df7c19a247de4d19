#!/usr/bin/env bash
# The integration tests against the cluster profile: three KRaft brokers (replication 3, min.insync.replicas 2)
# and a six-node Redis Cluster, started here if not running (and stopped afterwards), beside the single stack.
# Arguments go to vitest (e.g. a subset of files). Not part of `.ci/run`: see the README's "Beyond one machine".
set -euo pipefail
cd "$(dirname "$0")/.."
export TALLY_STACK_PROFILE=cluster REDIS_CLUSTER=true
if pnpm -s tally stack status >/dev/null 2>&1; then
  echo "==> the cluster stack is already running; leaving it running afterwards"
else
  trap 'echo "==> stopping the cluster stack"; pnpm -s tally stack down' EXIT
  echo "==> cluster stack up"
  pnpm -s tally stack up
fi
echo "==> integration tests on the cluster profile"
pnpm -s exec vitest run --project integration "$@"
