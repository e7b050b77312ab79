import { describe, expect, it, vi } from 'vitest';
import { createSessionCache } from '../../../engine/api/machine-connect';
import { err, ok, type Result } from '../../../engine/result';

/** A fake session: counts what it ran, can be dropped "by the network", and says when it was closed. */
class FakeSession {
  closed = false;
  ran: string[] = [];
  constructor(readonly id: number) {}
  async run(command: string): Promise<Result<string>> {
    if (this.closed) {
      return err('ssh.disconnected', 'closed', 'connect again');
    }
    this.ran.push(command);
    return ok(`${this.id}:${command}`);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function opener() {
  const opened: FakeSession[] = [];
  const open = async (): Promise<Result<FakeSession>> => {
    const s = new FakeSession(opened.length + 1);
    opened.push(s);
    return ok(s);
  };
  return { opened, open };
}

describe('session cache', () => {
  it('hands a closed session to the next use of the same machine instead of logging in again', async () => {
    const cache = createSessionCache<FakeSession>({ idleMs: 60_000 });
    const o = opener();
    const a = await cache.lease('root@m1:22 SHA256:x', o.open);
    expect(a.ok && (await a.value.run('preflight'))).toEqual(ok('1:preflight'));
    await (a.ok && a.value.close());
    const b = await cache.lease('root@m1:22 SHA256:x', o.open);
    expect(b.ok && (await b.value.run('plan'))).toEqual(ok('1:plan'));
    expect(o.opened).toHaveLength(1);
    expect(o.opened[0]!.closed).toBe(false);
    // Another machine, or the same one under another key, gets its own.
    const c = await cache.lease('root@m1:22 SHA256:y', o.open);
    expect(c.ok && (await c.value.run('x'))).toEqual(ok('2:x'));
    await cache.closeAll();
    expect(o.opened.every((s) => s.closed)).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('never shares one session between two users at once', async () => {
    const cache = createSessionCache<FakeSession>({ idleMs: 60_000 });
    const o = opener();
    const a = await cache.lease('k', o.open);
    const b = await cache.lease('k', o.open);
    expect(o.opened).toHaveLength(2);
    expect(a.ok && b.ok && (await a.value.run('1'))).toEqual(ok('1:1'));
    expect(b.ok && (await b.value.run('2'))).toEqual(ok('2:2'));
    // Closing a lease twice releases it once.
    await (a.ok && a.value.close());
    await (a.ok && a.value.close());
    const c = await cache.lease('k', o.open);
    const d = await cache.lease('k', o.open);
    expect(c.ok && (await c.value.run('3'))).toEqual(ok('1:3'));
    expect(d.ok && (await d.value.run('4'))).toEqual(ok('3:4'));
    await cache.closeAll();
  });

  it('does not hand out a session whose connection dropped, nor one forgotten', async () => {
    const cache = createSessionCache<FakeSession>({ idleMs: 60_000 });
    const o = opener();
    const a = await cache.lease('k', o.open);
    await (a.ok && a.value.close());
    o.opened[0]!.closed = true; // the host rebooted while it was idle
    const b = await cache.lease('k', o.open);
    expect(b.ok && (await b.value.run('x'))).toEqual(ok('2:x'));
    await (b.ok && b.value.close());
    await cache.forget('k');
    expect(o.opened[1]!.closed).toBe(true);
    const c = await cache.lease('k', o.open);
    expect(c.ok && (await c.value.run('y'))).toEqual(ok('3:y'));
    await cache.closeAll();
  });

  it('closes an idle session after idleMs, and at once with idleMs 0', async () => {
    vi.useFakeTimers();
    try {
      const cache = createSessionCache<FakeSession>({ idleMs: 1000 });
      const o = opener();
      const a = await cache.lease('k', o.open);
      await (a.ok && a.value.close());
      expect(o.opened[0]!.closed).toBe(false);
      await vi.advanceTimersByTimeAsync(1001);
      expect(o.opened[0]!.closed).toBe(true);
      expect(cache.size).toBe(0);
      const none = createSessionCache<FakeSession>({ idleMs: 0 });
      const b = await none.lease('k', o.open);
      await (b.ok && b.value.close());
      expect(o.opened[1]!.closed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
