#!/usr/bin/env bash
# Containers for real (the README's "Containers"): builds the images (the bases once, Tally's own and the
# infrastructure's each time, from the layer cache), starts podman's Docker-compatible socket, runs
# docker-compose.yml with the README's examples and `tally load` through it (tests/containers), then the
# integration suite with Kafka, the registry, Redis and Postgres started by Testcontainers from those images.
# Arguments go to the integration run (e.g. a subset of files). Not part of `.ci/run`: about 24 minutes with the images cold, 20 warm.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
echo "==> images"
pnpm -s tally images build
echo "==> container engine (podman system service) and its health ticker"
pnpm -s tally engine up
eval "$(pnpm -s tally engine env)"
echo "==> docker-compose: the whole of Tally in containers"
pnpm -s exec vitest run --project containers
echo "==> integration tests with Testcontainers"
TALLY_TEST_STACK=containers pnpm -s exec vitest run --project integration "$@"
echo "==> container checks passed in $(( $(date +%s) - started )) s"
