import type { Logger } from '@tally/observability';

export interface ServiceResource {
  name: string;
  close: () => Promise<void>;
}

/**
 * Keeps the process alive until SIGTERM or SIGINT, then closes resources in reverse order of opening (the
 * consumer first finishes and commits its batch), and exits. A second signal or a 25 s stall exits at once,
 * inside Kubernetes' default 30 s grace period.
 */
export function runService(
  logger: Logger,
  resources: ServiceResource[],
  exit: (code: number) => void = process.exit,
): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal; exiting now');
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took longer than 25 s; exiting');
      exit(1);
    }, 25_000);
    deadline.unref();
    let code = 0;
    for (const resource of [...resources].reverse()) {
      try {
        await resource.close();
      } catch (error) {
        code = 1;
        logger.error({ err: error, resource: resource.name }, 'error while closing');
      }
    }
    logger.info('stopped');
    exit(code);
  };
  process.on('SIGTERM', (s) => void shutdown(s));
  process.on('SIGINT', (s) => void shutdown(s));
}

/** Closes `resources` in reverse order of opening, once however often it is called (tests close twice). */
export function closeOnce(resources: ServiceResource[]): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= (async () => {
      for (const r of [...resources].reverse()) await r.close();
    })());
}

/** What a consuming service owns, in opening order, so closing in reverse stops HTTP first and the stores last. */
export function consumingServiceResources(parts: {
  pool: { end: () => Promise<void> };
  redis?: { disconnect: () => void };
  producer: { disconnect: () => Promise<void> };
  consumer: { stop: () => Promise<void> };
  http: { close: () => Promise<void> };
  /** Timers and loops: stopped after HTTP, before the consumer finishes its batch. */
  loops?: ServiceResource[];
}): ServiceResource[] {
  return [
    { name: 'postgres', close: () => parts.pool.end() },
    ...(parts.redis ? [{ name: 'redis', close: async () => void parts.redis!.disconnect() }] : []),
    { name: 'producer', close: () => parts.producer.disconnect() },
    { name: 'consumer', close: () => parts.consumer.stop() },
    ...(parts.loops ?? []),
    { name: 'http', close: () => parts.http.close() },
  ];
}
