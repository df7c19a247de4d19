#!/usr/bin/env bash
# Installs everything, starts the local stack, and runs every check and test: generated types up to date,
# typecheck, lint, unit tests, integration tests against the real Kafka, registry, Redis and Postgres.
# Stops the stack afterwards whatever the outcome (unless it was already running before).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
scripts/install.sh

if pnpm -s tally stack status >/dev/null 2>&1; then
  echo "==> the local stack is already running; leaving it running afterwards"
else
  trap 'echo "==> stopping the local stack"; pnpm -s tally stack down' EXIT
fi
echo "==> stack up"
pnpm -s tally stack up

echo "==> generated types, project references, typecheck, lint, layering"
pnpm -s gen:check
pnpm -s gen:references --check
pnpm -s typecheck
pnpm -s lint
pnpm -s deps

echo "==> unit tests"
pnpm -s test:unit
echo "==> integration tests"
pnpm -s test:integration
echo "==> all checks passed in $(( $(date +%s) - started )) s"
