import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON line per event on stdout, named after the service, so a log pipeline can route it. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
