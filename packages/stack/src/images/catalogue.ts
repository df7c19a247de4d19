/**
 * The container images Tally runs in: its own, and the infrastructure's, built on this machine from Debian's
 * packages, the Maven Central jars the local stack uses and the npm registry (`tally images build`).
 *
 * Each image's reference is configuration: the variable named here overrides it, in docker-compose.yml (which
 * spells the same defaults, checked by deploy/compose.test.ts) and in the Testcontainers harness. Where a public
 * registry is reachable, `publicReference` is the image to use instead — configured the same way (the local
 * Kafka, Postgres, Redis and registry images take the public images' variables and commands).
 */
export type ImageName =
  'debian' | 'node' | 'java' | 'kafka' | 'schema-registry' | 'postgres' | 'redis' | 'prometheus' | 'tally';

export interface ImageSpec {
  name: ImageName;
  /** The tag built here. podman keeps local images under `localhost/`. */
  reference: string;
  /** The variable that overrides the reference (compose, Testcontainers, and the build of the images on it). */
  variable: string;
  /** The public image that serves the same purpose, where a registry is reachable. */
  publicReference: string;
  /** Built on these (their references are passed as build arguments). */
  base: ImageName[];
  what: string;
}

const TALLY_VERSION = '0.1.0';

export const IMAGES: readonly ImageSpec[] = [
  {
    name: 'debian',
    reference: 'localhost/tally-debian:bookworm',
    variable: 'TALLY_DEBIAN_IMAGE',
    publicReference: 'debian:bookworm-slim',
    base: [],
    what: 'Debian 12 minbase root filesystem, from debootstrap',
  },
  {
    name: 'node',
    reference: 'localhost/tally-node:20',
    variable: 'TALLY_NODE_IMAGE',
    publicReference: 'node:20-bookworm-slim',
    base: ['debian'],
    what: "Node.js 20 and npm (this machine's) on the Debian base",
  },
  {
    name: 'java',
    reference: 'localhost/tally-java:17',
    variable: 'TALLY_JAVA_IMAGE',
    publicReference: 'eclipse-temurin:17-jre',
    base: ['debian'],
    what: "Java 17 runtime (Debian's openjdk-17-jre-headless)",
  },
  {
    name: 'kafka',
    reference: 'localhost/tally-kafka:4.3.1',
    variable: 'KAFKA_IMAGE',
    publicReference: 'apache/kafka:4.3.1',
    base: ['java'],
    what: 'Apache Kafka 4.3.1 in KRaft mode, from the Maven Central jars of deploy/kafka',
  },
  {
    name: 'schema-registry',
    reference: 'localhost/tally-schema-registry:3.0.9',
    variable: 'SCHEMA_REGISTRY_IMAGE',
    publicReference: 'apicurio/apicurio-registry:3.0.9',
    base: ['java'],
    what: 'Apicurio Registry 3.0.9 (Confluent API), built from third_party/apicurio-registry',
  },
  {
    name: 'postgres',
    reference: 'localhost/tally-postgres:15',
    variable: 'POSTGRES_IMAGE',
    publicReference: 'postgres:15-bookworm',
    base: ['debian'],
    what: "PostgreSQL 15 (Debian's postgresql-15)",
  },
  {
    name: 'redis',
    reference: 'localhost/tally-redis:7',
    variable: 'REDIS_IMAGE',
    publicReference: 'redis:7-bookworm',
    base: ['debian'],
    what: "Redis 7 (Debian's redis-server)",
  },
  {
    name: 'prometheus',
    reference: 'localhost/tally-prometheus:2',
    variable: 'PROMETHEUS_IMAGE',
    publicReference: 'prom/prometheus:v3.5.0',
    base: ['debian'],
    what: "Prometheus 2.42 (Debian's prometheus), for compose's observability profile",
  },
  {
    name: 'tally',
    reference: `localhost/tally:${TALLY_VERSION}`,
    variable: 'TALLY_IMAGE',
    publicReference: `tally:${TALLY_VERSION}`,
    base: ['node'],
    what: 'the six services and the operator CLI, compiled, production dependencies only (the Dockerfile)',
  },
];

export function imageSpec(name: ImageName): ImageSpec {
  const spec = IMAGES.find((image) => image.name === name);
  if (!spec) throw new Error(`no image named ${name}`);
  return spec;
}

/** The reference to run: the variable's value if set, else the image built here. */
export const imageReference = (name: ImageName, env: NodeJS.ProcessEnv = process.env): string => {
  const spec = imageSpec(name);
  return env[spec.variable] || spec.reference;
};

/** `names` and everything they are built on, bases first. */
export function buildOrder(names: readonly ImageName[]): ImageSpec[] {
  const ordered: ImageSpec[] = [];
  const visit = (name: ImageName) => {
    const spec = imageSpec(name);
    if (ordered.includes(spec)) return;
    spec.base.forEach(visit);
    ordered.push(spec);
  };
  names.forEach(visit);
  return ordered;
}
