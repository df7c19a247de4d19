#!/usr/bin/env bash
# Installs everything Tally needs on a fresh machine (Node 20, Java 17, Maven, Debian): pnpm, the workspace's
# packages, the Debian packages the tests use, and from Maven Central the Kafka and schema-registry jars and the
# benchmark's Kafka Streams peer.
# Safe to run again: each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.8
if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  # corepack would be first choice, but its signature check fails with this Node 20 build's bundled keys
  echo "==> installing pnpm $PNPM_VERSION with npm"
  npm install --global --silent "pnpm@$PNPM_VERSION"
fi

echo "==> pnpm install"
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | tail -n 3

missing=()
command -v kcat >/dev/null || missing+=(kcat)
# the real Prometheus (with promtool) for tests/operations/prometheus.test.ts and `prometheus --config.file=deploy/prometheus/local.yml`
command -v prometheus >/dev/null || missing+=(prometheus)
# a real browser for the console's test (tests/console), driven by playwright-core
command -v chromium >/dev/null || missing+=(chromium)
# redis-server and redis-cli for the cluster profile's Redis Cluster and the fault runs' own Redis (the machine's
# Redis usually brings them)
{ command -v redis-server >/dev/null && command -v redis-cli >/dev/null; } || missing+=(redis-server)
# containers (`pnpm tally images build`, docker-compose.yml, `pnpm test:containers`): podman with runc, netavark
# and aardvark-dns (compose networks with DNS), catatonit (`init: true`), debootstrap for the Debian base image,
# docker-compose for the compose file against podman's Docker-compatible socket
for tool in podman runc netavark aardvark-dns catatonit debootstrap docker-compose; do
  case $tool in
    netavark | aardvark-dns) [[ -x /usr/lib/podman/$tool ]] || missing+=("$tool") ;;
    *) command -v "$tool" >/dev/null || missing+=("$tool") ;;
  esac
done
if ((${#missing[@]})); then
  echo "==> apt-get install ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  # without recommends: prometheus would bring prometheus-node-exporter, which Tally does not use
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# podman's settings for this machine kind (deploy/podman/containers.conf says why each), before podman first runs
if [[ $(id -u) -eq 0 ]] && ! cmp -s deploy/podman/containers.conf /etc/containers/containers.conf; then
  echo "==> /etc/containers/containers.conf (podman: runc, cgroupfs, netavark)"
  install -D -m 0644 deploy/podman/containers.conf /etc/containers/containers.conf
  # a bridge left by podman's other network backend (CNI) would hold the subnet netavark's bridge needs
  if ip link show cni-podman0 >/dev/null 2>&1; then ip link delete cni-podman0; fi
elif [[ $(id -u) -ne 0 ]]; then
  echo "==> not root: install deploy/podman/containers.conf as /etc/containers/containers.conf yourself for containers"
fi

# kubectl (with its built-in kustomize) renders deploy/k8s for deploy/k8s/manifests.test.ts. Debian bookworm has no
# kubectl package, so it cannot be installed here: say so and stop, rather than fail later in the unit tests.
if ! command -v kubectl >/dev/null; then
  echo "kubectl is missing: deploy/k8s/manifests.test.ts renders the manifests with 'kubectl kustomize'." >&2
  echo "Debian bookworm has no kubectl package; install it from the Kubernetes project (pkgs.k8s.io apt repository" >&2
  echo "or its release binary, v1.27 or later for kustomize v5) and run this script again." >&2
  exit 1
fi

# deploy/kafka (the broker) and third_party/apicurio-registry (the schema registry, Apache-2.0 code Tally builds)
echo "==> Kafka and schema registry jars from Maven Central"
pnpm -s tally stack prepare

# deploy/bench-peer: the Kafka Streams application `pnpm bench:counters` compares counter-materializer with
if [[ ! -f deploy/bench-peer/target/bench-peer.jar ]]; then
  echo "==> Kafka Streams benchmark peer from Maven Central"
  mvn -q -B -f deploy/bench-peer/pom.xml package
fi

echo "==> building the web console"
pnpm -s build:console
