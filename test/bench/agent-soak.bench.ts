/**
 * Soak: the real agent daemon (engine/agent/daemon.ts, real handlers, this machine's corosync tools)
 * serving one `quorum.watch` at the fastest poll the protocol allows (100 ms) for
 * QUORATE_SOAK_SECONDS (default 600 = 10 minutes). Prints the process RSS and the number of live
 * abort listeners at the start and at the end: both must stay flat (a listener per poll leaked
 * 100–300 MiB a day before). Here corosync is not running in the root namespace, so every poll takes
 * the "tool answers with an error" path; with the tools missing the same holds (unit-tested).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../../engine/agent/daemon';
import { encodeLine } from '../../engine/agent/framing';
import type { BenchFigure } from './run';

/** Counts abort listeners alive in this process (added and neither removed nor fired). */
function countAbortListeners(): { live(): number; restore(): void } {
  const proto = EventTarget.prototype;
  const add = proto.addEventListener;
  const remove = proto.removeEventListener;
  const live = new Map<EventTarget, Set<unknown>>();
  proto.addEventListener = function (this: EventTarget, type: string, listener: unknown, options?: unknown) {
    if (type === 'abort' && this instanceof AbortSignal && listener) {
      const set = live.get(this) ?? new Set();
      set.add(listener);
      live.set(this, set);
    }
    return add.call(this, type, listener as EventListener, options as AddEventListenerOptions);
  } as typeof proto.addEventListener;
  proto.removeEventListener = function (this: EventTarget, type: string, listener: unknown, options?: unknown) {
    if (type === 'abort') {
      live.get(this)?.delete(listener);
    }
    return remove.call(this, type, listener as EventListener, options as EventListenerOptions);
  } as typeof proto.removeEventListener;
  return {
    live: () => [...live].reduce((n, [signal, set]) => n + ((signal as AbortSignal).aborted ? 0 : set.size), 0),
    restore: () => {
      proto.addEventListener = add;
      proto.removeEventListener = remove;
    },
  };
}

/** The most listeners seen over 2 s (a poll in flight holds two more than a watch between polls). */
async function peakListeners(live: () => number): Promise<number> {
  let peak = 0;
  for (let i = 0; i < 40; i++) {
    peak = Math.max(peak, live());
    await new Promise((r) => setTimeout(r, 50));
  }
  return peak;
}

const mib = (bytes: number): number => bytes / 1024 / 1024;

function rss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

export default async function agentSoakBench(): Promise<BenchFigure[]> {
  const seconds = Number(process.env.QUORATE_SOAK_SECONDS ?? 600);
  const dir = mkdtempSync(join(tmpdir(), 'quorate-soak-'));
  const listeners = countAbortListeners();
  const agent = await serve(join(dir, 'agent.sock'));
  if (!agent.ok) {
    listeners.restore();
    throw new Error(agent.error.message);
  }
  let events = 0;
  const sock = connect(agent.value.socket);
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    sock.on('data', (d) => (events += d.toString().split('\n').length - 1));
    sock.write(encodeLine({ id: 1, method: 'quorum.watch', params: { intervalMs: 100 } }));
    // Let the first polls run before the start figures (module loading, first buffers).
    await new Promise((r) => setTimeout(r, Math.min(10_000, (seconds * 1000) / 10)));
    const start = { rss: rss(), listeners: await peakListeners(listeners.live) };
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const end = { rss: rss(), listeners: await peakListeners(listeners.live) };
    return [
      { name: `watch soak ${seconds} s @100 ms: RSS at start`, value: mib(start.rss), unit: 'MiB' },
      {
        name: `watch soak ${seconds} s @100 ms: RSS at end`,
        value: mib(end.rss),
        unit: 'MiB',
        target: `≈ start (${mib(start.rss).toFixed(1)} MiB)`,
      },
      { name: 'watch soak: abort listeners at start (peak of 2 s)', value: start.listeners, unit: '' },
      {
        name: 'watch soak: abort listeners at end (peak of 2 s)',
        value: end.listeners,
        unit: '',
        target: `= start (${start.listeners})`,
      },
      { name: 'watch soak: lines the agent sent', value: events, unit: '' },
    ];
  } finally {
    sock.destroy();
    await agent.value.stop();
    listeners.restore();
    rmSync(dir, { recursive: true, force: true });
  }
}
