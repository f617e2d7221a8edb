/**
 * A FIFO async mutex. PGlite has one connection, so pilot serialises every transaction on it;
 * without this, two requests would interleave statements inside one BEGIN/COMMIT.
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /**
   * Runs `fn` once every earlier holder has finished; the lock is released even when `fn` throws.
   * With `timeoutMs`, a caller that waited that long gives up with `onTimeout()`'s error and `fn` never
   * runs (its place in the queue is passed on): a request must not wait for the whole of a stall.
   */
  async run<T>(fn: () => Promise<T>, o: { timeoutMs?: number; onTimeout?: () => Error } = {}): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    if (o.timeoutMs !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        previous.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), o.timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        void previous.then(release);
        throw o.onTimeout?.() ?? new Error(`lock not acquired within ${o.timeoutMs} ms`);
      }
    } else {
      await previous;
    }
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
