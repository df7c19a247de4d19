/** Raised when a dependency has not answered in time: `no <what> within <ms> ms`. */
export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`no ${what} within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Waits for `promise` at most `ms`: its own outcome if it settles in time, else a TimeoutError naming what was
 * awaited ("answer", "acknowledgement"). The work itself goes on; only the wait ends. The timer is cleared either
 * way, so a settled wait never keeps the process alive.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what = 'answer'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
