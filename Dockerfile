# syntax=docker/dockerfile:1
# Tally's production image: one image for all six services, compiled JavaScript run with plain node, production
# dependencies only, an unprivileged user, nothing written to the root filesystem (run it read-only). The
# command chooses the service:
#   podman run tally:0.1.0 node services/wallet-ledger/dist/main.js
#   podman run -e VOTE_ROLE=region -e REGION=kr tally:0.1.0 node services/vote-merger/dist/main.js
#   podman run tally:0.1.0 node packages/stack/dist/cli.js setup      (topics and schemas, once per cluster)
# Built here by `pnpm tally images build` on Tally's own Node image (NODE_IMAGE=localhost/tally-node:20, from
# Debian's packages and this machine's Node 20); where a public registry is reachable the default,
# node:20-bookworm-slim, is the same Node on the same Debian. Used by docker-compose.yml and deploy/k8s.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: the whole workspace from the lockfile, compiled; then the app with production dependencies only ------
FROM ${NODE_IMAGE} AS build
ARG PNPM_VERSION=10.34.8
# Behind a TLS-inspecting proxy, npm and pnpm need its CA: `tally images build` passes the machine's npm cafile as
# the build secret `npm-ca`, mounted only in the build stage's steps (no image holds it). Without the secret, node
# warns that it found no extra certificates and goes on with its own.
ENV NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca
RUN --mount=type=secret,id=npm-ca npm install --global --no-fund --no-audit --loglevel=error pnpm@${PNPM_VERSION}
WORKDIR /src
# The lockfile first: the downloads are redone only when it changes (and the store is a cache across builds).
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
RUN --mount=type=cache,id=tally-pnpm-store,target=/pnpm-store --mount=type=secret,id=npm-ca \
    pnpm fetch --store-dir /pnpm-store --reporter=append-only | tail -n 2
COPY . .
# `pnpm build --out /app` compiles every package (src/ → dist/) and assembles what runs: package.json files whose
# exports point at dist/, the migrations and the console's static files. The second install, there, takes the
# production dependencies only.
RUN --mount=type=cache,id=tally-pnpm-store,target=/pnpm-store --mount=type=secret,id=npm-ca \
    pnpm install --frozen-lockfile --offline --store-dir /pnpm-store --reporter=append-only | tail -n 2 \
 && pnpm build:console >/dev/null \
 && pnpm build --out /app \
 && cd /app && pnpm install --prod --frozen-lockfile --offline --store-dir /pnpm-store --package-import-method=copy \
      --reporter=append-only | tail -n 2 \
 && rm -f pnpm-lock.yaml pnpm-workspace.yaml

# --- runtime: the app, owned by root and read-only to the service user -----------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=build /app /app
# Numeric, so Kubernetes can check runAsNonRoot (uid 1000 is the node image's `node` user).
USER 1000:1000
# ingest-gateway, viewer-aggregator, counter-materializer, wallet-ledger, queue-admitter, vote-merger (8095-8099)
EXPOSE 8080 8091 8092 8093 8094 8095 8096 8097 8098 8099
# Each service finishes its batch, commits and exits within 25 s of SIGTERM; node is PID 1 and handles it.
STOPSIGNAL SIGTERM
# Ready when the service's /readyz answers 200; PORT is the service's port (every service reads it). No spaces in
# the script: podman's Docker API (4.3) splits a CMD healthcheck's arguments on them.
HEALTHCHECK --interval=10s --timeout=10s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT??8080)+'/readyz').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "services/ingest-gateway/dist/main.js"]
