import { describe, expect, it } from 'vitest';
import { queue } from '../../../engine/bootstrap/queue';

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('queue', () => {
  it('runs at most `concurrency` tasks at once, starting them in order', async () => {
    const q = queue(2);
    const gates = [deferred<string>(), deferred<string>(), deferred<string>(), deferred<string>()];
    const started: number[] = [];
    const results = gates.map((g, i) =>
      q.add(() => {
        started.push(i);
        return g.promise;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect([q.running, q.waiting]).toEqual([2, 2]);
    gates[1]!.resolve('b');
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.resolve('a');
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    gates[3]!.resolve('d');
    gates[2]!.resolve('c');
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    expect([q.running, q.waiting]).toEqual([0, 0]);
  });

  it('gives each caller its own failure and keeps running the rest', async () => {
    const q = queue(1);
    const a = deferred<number>();
    const b = deferred<number>();
    const ra = q.add(() => a.promise);
    const rb = q.add(() => b.promise);
    const rc = q.add(() => {
      throw new Error('sync throw');
    });
    a.reject(new Error('first failed'));
    await expect(ra).rejects.toThrow('first failed');
    await tick();
    b.resolve(2);
    await expect(rb).resolves.toBe(2);
    await expect(rc).rejects.toThrow('sync throw');
  });

  it('resolves idle() only once nothing runs or waits', async () => {
    const q = queue(1);
    await q.idle();
    const a = deferred<void>();
    void q.add(() => a.promise);
    let idle = false;
    void q.idle().then(() => {
      idle = true;
    });
    await tick();
    expect(idle).toBe(false);
    a.resolve();
    await tick();
    await tick();
    expect(idle).toBe(true);
  });

  it('refuses a concurrency below one', () => {
    expect(() => queue(0)).toThrow(RangeError);
  });
});
