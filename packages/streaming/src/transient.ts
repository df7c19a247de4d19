/**
 * A failure that will pass by itself (a dependency restarting, a network blip). The consumer retries such a
 * batch, heartbeating, for as long as it owns the partition, instead of dead-lettering healthy records.
 */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '40001',
  '40P01',
  '53300',
]);
const transientNames = new Set([
  'TransientError',
  'MaxRetriesPerRequestError',
  'KafkaUnavailableError',
  'KafkaJSConnectionError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
]);
const transientMessages =
  /Connection is closed|Connection terminated|connect ECONNREFUSED|Stream isn't writeable|LOADING|TRYAGAIN|CLUSTERDOWN|timeout exceeded when trying to connect|the database system is (starting up|shutting down)|fetch failed/i;

/** True for errors of unavailable Redis, Postgres (including serialization failures and deadlocks), Kafka or the registry. */
export function isTransient(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && transientCodes.has(code)) return true;
    if (typeof name === 'string' && transientNames.has(name)) return true;
    if (typeof message === 'string' && transientMessages.test(message)) return true;
  }
  return false;
}
