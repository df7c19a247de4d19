/**
 * The ten service processes of a fault run, each started from its main.ts as run.sh does, on the run's own
 * ports and stack, so the run can SIGKILL and restart any of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, waitUntil } from '@tally/stack';
import { DEFAULT_REGIONS } from '@tally/contracts';
import type { SuiteCredentials } from '../abuse/credentials.js';

export interface ServiceSpec {
  /** The name faults and reports use: 'wallet-ledger', 'vote-region-kr', 'vote-merger', ...; `<role>.<n>` for n > 1. */
  name: string;
  /** What it runs as, the same for all its instances: 'wallet-ledger', 'vote-region-kr', ... */
  role: string;
  /** 1 for the first instance (the one a single-broker run has), 2... for more. */
  instance: number;
  /** The folder under services/. */
  dir: string;
  port: number;
  env: Record<string, string>;
  /** Its consumer groups (none for the gateway). */
  consumerGroups: string[];
}

export const regions = DEFAULT_REGIONS;

/**
 * What runs, on which port: the gateway on base + 80, the others on base + 91... as on the default ports. The
 * gateway takes the run's own API_KEYS and TICKET_KEY, the queue-admitter its ADMISSION_SIGNING_KEYS, as a
 * production deployment would (never the development key, ticket key or signing key).
 */
export function serviceSpecs(
  basePort: number,
  credentials: SuiteCredentials,
  /** Where the gateway reaches a service, given its first instance's port (a balancer); default that port. */
  upstream: (spec: Pick<ServiceSpec, 'port'>) => number = (spec) => spec.port,
): ServiceSpec[] {
  const port = (offset: number) => basePort + offset;
  const url = (offset: number) => `http://127.0.0.1:${upstream({ port: port(offset) })}`;
  const consuming = (name: string, offset: number, env: Record<string, string> = {}): ServiceSpec => ({
    name,
    role: name,
    instance: 1,
    dir: name,
    port: port(offset),
    env,
    consumerGroups: [name],
  });
  return [
    consuming('viewer-aggregator', 91),
    consuming('counter-materializer', 92),
    consuming('wallet-ledger', 93),
    consuming('queue-admitter', 94, {
      ADMISSION_SIGNING_KEYS: credentials.signingKeysJson,
      ADMISSION_TOKEN_ISSUER: credentials.issuer,
    }),
    ...regions.map((region, i) => ({
      name: `vote-region-${region}`,
      role: `vote-region-${region}`,
      instance: 1,
      dir: 'vote-merger',
      port: port(95 + i),
      env: { VOTE_ROLE: 'region', REGION: region },
      consumerGroups: [`vote-merger.${region}`],
    })),
    {
      name: 'vote-merger',
      role: 'vote-merger',
      instance: 1,
      dir: 'vote-merger',
      port: port(99),
      env: { VOTE_ROLE: 'merger' },
      consumerGroups: ['vote-merger.merger'],
    },
    {
      name: 'ingest-gateway',
      role: 'ingest-gateway',
      instance: 1,
      dir: 'ingest-gateway',
      port: port(80),
      env: {
        VIEWER_AGGREGATOR_URL: url(91),
        COUNTER_MATERIALIZER_URL: url(92),
        WALLET_LEDGER_URL: url(93),
        QUEUE_ADMITTER_URL: url(94),
        VOTE_RESULTS_URL: url(95),
        API_KEYS: credentials.apiKeysJson,
        TICKET_KEY: credentials.ticketKey,
        // the run's load and fuzzing come from one key, and every client of the run from 127.0.0.1: the limits are
        // not what is under test on this gateway (the abuse phase attacks them on a gateway of its own, see
        // FaultControls.startExposedGateway), and its refusals of guessed keys and tickets must be 401/403, not 429
        RATE_LIMIT_PER_SECOND: '1000000',
        ADDRESS_RATE_LIMIT_PER_SECOND: '1000000',
      },
      consumerGroups: [],
    },
  ];
}

/** The n-th instance of a service: the same role, group and configuration, 100 ports above the first. */
export function instanceSpec(first: ServiceSpec, instance: number): ServiceSpec {
  if (instance === 1) return first;
  return { ...first, name: `${first.role}.${instance}`, instance, port: first.port + 100 * (instance - 1) };
}

/** One service process that can be crashed and started again. */
export class ServiceProcess {
  private child: ChildProcess | undefined;

  constructor(
    readonly spec: ServiceSpec,
    private readonly sharedEnv: Record<string, string>,
    private readonly logDir: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it and waits until GET /readyz answers 200. */
  async start(readyTimeoutMs = 90_000): Promise<void> {
    if (this.running) return;
    const log = openSync(join(this.logDir, `${this.spec.name}.log`), 'a');
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: join(repoRoot, 'services', this.spec.dir),
      env: { ...process.env, ...this.sharedEnv, ...this.spec.env, HOST: '127.0.0.1', PORT: String(this.spec.port) },
      stdio: ['ignore', log, log],
    });
    const child = this.child;
    await waitUntil(
      `${this.spec.name} on ${this.url}`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${this.spec.name} exited with ${child.exitCode}; see ${this.logDir}/${this.spec.name}.log`);
        const response = await fetch(`${this.url}/readyz`);
        if (response.status !== 200) throw new Error(`readyz ${response.status}`);
      },
      readyTimeoutMs,
    );
  }

  /** SIGKILL is a crash (nothing flushed, nothing committed); SIGTERM a graceful stop. Resolves once it is gone. */
  async stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
