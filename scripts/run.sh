#!/usr/bin/env bash
# The main job: installs what is missing, brings up the local stack (Kafka in KRaft mode, the schema
# registry, the machine's Redis and Postgres), starts every service, and prints where to look.
# Ctrl-C stops the services (gracefully: each finishes its batch and commits); the stack keeps running until
# `pnpm tally stack down`.
# `--load` (or `--load=RATE`, requests per second, default 100) also starts `pnpm tally load`, so the numbers
# move at once: players heartbeating, likes and views, credits and debits, queue joins, votes in four regions.
set -euo pipefail
cd "$(dirname "$0")/.."
load_rate=""
for arg in "$@"; do
  case $arg in
    --load) load_rate=100 ;;
    --load=*) load_rate=${arg#--load=} ;;
    *) echo "usage: $0 [--load[=RATE]]" >&2; exit 2 ;;
  esac
done
scripts/install.sh
pnpm -s tally stack up

mkdir -p .stack/logs
pids=()
stop_services() {
  echo; echo "stopping services..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop_services INT TERM EXIT

start() { # start <log name> <service dir> [VAR=value...]
  local log=$1 dir=$2; shift 2
  (cd "$dir" && exec env "$@" node --import tsx src/main.ts) >".stack/logs/$log.log" 2>&1 &
  pids+=($!)
  echo "started $log (pid $!, log .stack/logs/$log.log)"
}

for dir in services/*/; do
  name=$(basename "$dir")
  [[ -f "$dir/src/main.ts" && $name != vote-merger ]] || continue
  if [[ $name == ingest-gateway ]]; then
    # the SDK's example page (pnpm client:example) calls the API from its own origin
    start "$name" "$dir" CORS_ORIGINS="${CORS_ORIGINS:-http://127.0.0.1:5173}"
  else
    start "$name" "$dir"
  fi
done
# global votes: one counter per region (four isolated regions sharing this one cluster by topic names) and
# the merger at the "hub"
port=8095
for region in kr jp tw na; do
  start "vote-merger.$region" services/vote-merger VOTE_ROLE=region REGION=$region PORT=$port
  port=$((port + 1))
done
start vote-merger.merger services/vote-merger VOTE_ROLE=merger PORT=8099

sleep 4
cat <<INFO

Tally is running.
  Public API        http://127.0.0.1:8080        (OpenAPI UI: http://127.0.0.1:8080/docs)
  Live console      http://127.0.0.1:8080/console/   (try ./scripts/run.sh --load to see it move)
  SDK example page  pnpm client:example, then http://127.0.0.1:5173/   (packages/client/README.md)
  Development key   Authorization: Bearer tally-dev-key   (every scope: writes, wallets and tickets, the console)
  viewer-aggregator    http://127.0.0.1:8091/metrics  /readyz
  counter-materializer http://127.0.0.1:8092/metrics  /readyz
  wallet-ledger        http://127.0.0.1:8093/metrics  /readyz
  queue-admitter       http://127.0.0.1:8094/metrics  /readyz
  vote-merger regions  kr :8095  jp :8096  tw :8097  na :8098  (each serves its copy of the results)
  vote-merger (hub)    http://127.0.0.1:8099/metrics  /readyz
  Kafka             127.0.0.1:${TALLY_KAFKA_PORT:-9092}   (kcat -b 127.0.0.1:${TALLY_KAFKA_PORT:-9092} -L)
  Schema registry   http://127.0.0.1:${TALLY_REGISTRY_PORT:-8081}/apis/ccompat/v7/subjects
  Logs and data     .stack/

Try:
  curl -s -XPOST http://127.0.0.1:8080/v1/streams/demo/heartbeats -H 'authorization: Bearer tally-dev-key' \\
       -H 'content-type: application/json' -d '{"source":"me","seq":1,"sessionId":"s1","positionMs":0}'
  curl -s http://127.0.0.1:8080/v1/streams/demo/viewers
  curl -s -XPOST http://127.0.0.1:8080/v1/items/song-1/likes -H 'authorization: Bearer tally-dev-key' \\
       -H 'content-type: application/json' -d '{"source":"me","seq":2,"userId":"u1","liked":true}'
  curl -s http://127.0.0.1:8080/v1/items/song-1/counts
  curl -s 'http://127.0.0.1:8080/v1/rankings/likes?window=1h'
  curl -s -XPOST 'http://127.0.0.1:8080/v1/wallets/u1/transactions?wait=true' -H 'authorization: Bearer tally-dev-key' \\
       -H 'content-type: application/json' -d '{"source":"me","seq":3,"type":"credit","asset":"coins","amount":"12.34"}'
  curl -s http://127.0.0.1:8080/v1/wallets/u1/transactions -H 'authorization: Bearer tally-dev-key'   # private: a key with wallets:read
  curl -s -XPUT http://127.0.0.1:8080/v1/polls/best-song -H 'authorization: Bearer tally-dev-key' \\
       -H 'content-type: application/json' -d '{"options":["a","b"],"regions":{"kr":{"weight":1},"jp":{"weight":1}}}'
  curl -s -XPOST http://127.0.0.1:8080/v1/polls/best-song/votes -H 'authorization: Bearer tally-dev-key' \\
       -H 'content-type: application/json' -d '{"source":"me","seq":4,"region":"kr","userId":"u1","optionId":"a"}'
  curl -s http://127.0.0.1:8080/v1/polls/best-song/results

Ctrl-C stops the services; \`pnpm tally stack down\` stops Kafka and the registry.
Live traffic: \`pnpm tally load --rate 100\` (or start this script with --load); lag: \`pnpm tally lag\`.
INFO
if [[ -n $load_rate ]]; then
  # node itself, not through pnpm: pnpm does not pass SIGTERM on, so the load would outlive this script
  node --import tsx packages/stack/src/cli.ts load --rate "$load_rate" &
  pids+=($!)
fi
wait
