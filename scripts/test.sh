#!/usr/bin/env bash
# Installs everything, starts the local stack, and runs every check and test: formatting, generated files up to
# date, typecheck, lint, layering, unit tests, integration tests against the real Kafka, registry, Redis and Postgres.
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

echo "==> pnpm check: formatting, generated files (types, dashboards, topics, project references), typecheck, lint, layering"
pnpm -s check

echo "==> unit tests"
pnpm -s test:unit
echo "==> integration tests"
pnpm -s test:integration
echo "==> all checks passed in $(( $(date +%s) - started )) s"
