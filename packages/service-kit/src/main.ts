import { configOrExit } from '@tally/config';
import { runService, type ServiceResource } from '@tally/streaming';
import type { Logger } from '@tally/observability';

/**
 * A service's main: reads its configuration (or prints every problem and exits 1), starts it, and keeps it
 * running until SIGTERM or SIGINT, then closes it gracefully (runService).
 */
export async function runServiceMain<C>(
  name: string,
  loadConfig: () => C,
  start: (config: C) => Promise<{ logger: Logger; resources: ServiceResource[] }>,
): Promise<void> {
  const service = await start(configOrExit(name, loadConfig));
  runService(service.logger, service.resources);
}
