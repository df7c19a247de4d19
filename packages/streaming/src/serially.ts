/**
 * Runs pieces of work one after another, in the order they were handed in, never two at once — for work of
 * one process that must not interleave (a transaction and the projection of its result, a timer and a
 * consumer batch). A failure fails that piece only.
 */
export class Serially {
  private chain: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.chain.then(work);
    this.chain = result.catch(() => undefined);
    return result;
  }
}
