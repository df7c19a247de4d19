#!/usr/bin/env bash
# The main job: installs what is missing, brings up the local stack (Kafka in KRaft mode, the schema
# registry, the machine's Redis and Postgres), starts every service that exists, and prints where to look.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
pnpm -s tally stack up
pnpm -s tally stack status
cat <<INFO

Tally's local stack is running.
  Kafka            127.0.0.1:${TALLY_KAFKA_PORT:-9092}   (kcat -b 127.0.0.1:${TALLY_KAFKA_PORT:-9092} -L)
  Schema registry  http://127.0.0.1:${TALLY_REGISTRY_PORT:-8081}/apis/ccompat/v7/subjects
  Logs and data    .stack/
Stop it with: pnpm tally stack down
INFO
