/**
 * Bounded parallelism: at most `concurrency` tasks run at once, started in the order they were
 * added. Each `add` resolves or rejects with its own task; one failure does not stop the others.
 */
export interface Queue {
  add<T>(task: () => Promise<T>): Promise<T>;
  /** Tasks started and not yet settled. */
  readonly running: number;
  /** Tasks waiting for a slot. */
  readonly waiting: number;
  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void>;
}

export function queue(concurrency: number): Queue {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`queue: concurrency must be a positive integer, got ${concurrency}`);
  }
  const waiting: (() => void)[] = [];
  let running = 0;
  let idleWaiters: (() => void)[] = [];

  const next = (): void => {
    while (running < concurrency && waiting.length > 0) {
      running++;
      waiting.shift()!();
    }
    if (running === 0 && waiting.length === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const resolve of w) {
        resolve();
      }
    }
  };

  return {
    add<T>(task: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        waiting.push(() => {
          let p: Promise<T>;
          try {
            p = task();
          } catch (e) {
            p = Promise.reject(e);
          }
          p.then(resolve, reject).finally(() => {
            running--;
            next();
          });
        });
        next();
      });
    },
    get running() {
      return running;
    },
    get waiting() {
      return waiting.length;
    },
    idle(): Promise<void> {
      if (running === 0 && waiting.length === 0) {
        return Promise.resolve();
      }
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
