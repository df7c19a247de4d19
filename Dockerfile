# syntax=docker/dockerfile:1
# One image for all six Tally services; the command chooses which one runs:
#   docker run tally node --import tsx services/wallet-ledger/src/main.ts
#   docker run -e VOTE_ROLE=region -e REGION=kr tally node --import tsx services/vote-merger/src/main.ts
#   docker run tally node --import tsx packages/stack/src/cli.ts setup      (topics and schemas, once per cluster)
# The services run from their TypeScript sources through tsx (as `scripts/run.sh` does); the one build step is the
# gateway's web console (Vite), a folder of static files it serves at /console.
# Used by docker-compose.yml (`build: .`) and deploy/k8s (image `tally`).

ARG NODE_VERSION=22

# --- dependencies: the whole workspace, installed from the lockfile -------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
ARG PNPM_VERSION=10.34.8
RUN npm install --global --no-fund --no-audit pnpm@${PNPM_VERSION}
WORKDIR /app
# Only the lockfile first: this layer (the package downloads) is rebuilt only when the lockfile changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
RUN pnpm fetch
COPY . .
# devDependencies too: tsx, which runs the services, is one of the root's.
RUN pnpm install --frozen-lockfile --offline
RUN pnpm build:console

# --- runtime: the installed workspace, read-only for an unprivileged user -------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
WORKDIR /app
# Owned by root and not writable by the service user; tsx caches its transpiled files in /tmp.
COPY --from=build /app /app
# Numeric, so Kubernetes can check runAsNonRoot (uid 1000 is the image's `node` user).
USER 1000:1000
# ingest-gateway, viewer-aggregator, counter-materializer, wallet-ledger, queue-admitter, vote-merger (8095-8099)
EXPOSE 8080 8091 8092 8093 8094 8095 8096 8097 8098 8099
# Each service finishes its batch, commits and exits within 25 s of SIGTERM; node is PID 1 and handles it.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "services/ingest-gateway/src/main.ts"]
