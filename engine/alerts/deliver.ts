/**
 * Delivering alerts from the desktop: one send per channel, and for real events a retry queue with
 * a growing pause (2 s, 4 s, … up to 5 tries) that never blocks its caller — the monitor hands an
 * event over and returns at once. A `test` send is not queued: its error goes straight back.
 */
import type { AlertChannel, AlertEvent } from '../agent/alert-format';
import { alertMessage, httpRequestFor } from '../agent/alert-format';
import { sendHttpAlert } from '../agent/alert-send.net';
import type { Result } from '../result';
import { sendEmailAlert } from './email.net';

export type SendAlert = (c: AlertChannel, e: AlertEvent, secret: string | null) => Promise<Result<void>>;

/** The real sender: HTTP kinds through fetch, e-mail through nodemailer. */
export const sendAlert: SendAlert = (c, e, secret) => {
  const m = alertMessage(e);
  if (c.kind === 'email') {
    return sendEmailAlert({ smtp: c.url, from: c.from ?? '', to: c.to ?? '', password: secret }, m);
  }
  return sendHttpAlert(httpRequestFor(c, e, m, secret));
};

export interface DeliveryQueueOptions {
  readonly send: SendAlert;
  readonly secretOf: (c: AlertChannel) => Promise<string | null>;
  readonly log: (line: string) => void;
  readonly setTimer?: (fn: () => void, ms: number) => () => void;
  readonly tries?: number;
  readonly firstPauseMs?: number;
}

export interface DeliveryQueue {
  /** Sends in the background; returns at once. */
  enqueue(c: AlertChannel, e: AlertEvent): void;
  /** Resolves when nothing is in flight or waiting (tests, shutdown). */
  idle(): Promise<void>;
  dispose(): void;
}

export function createDeliveryQueue(o: DeliveryQueueOptions): DeliveryQueue {
  const setTimer =
    o.setTimer ??
    ((fn, ms) => {
      const t = setTimeout(fn, ms);
      t.unref?.();
      return () => clearTimeout(t);
    });
  const tries = o.tries ?? 5;
  const first = o.firstPauseMs ?? 2_000;
  let busy = 0;
  let waiters: (() => void)[] = [];
  const cancels = new Set<() => void>();
  let disposed = false;
  const done = (): void => {
    busy--;
    if (busy === 0) {
      const w = waiters;
      waiters = [];
      w.forEach((f) => f());
    }
  };
  const attempt = (c: AlertChannel, e: AlertEvent, n: number): void => {
    void (async () => {
      const r = await o
        .send(c, e, await o.secretOf(c))
        .catch((x: unknown) => ({ ok: false, error: { code: 'alerts.bug', message: String(x), hint: '' } }) as const);
      if (r.ok || disposed) {
        return done();
      }
      if (n >= tries) {
        o.log(`alert ${c.id} (${c.kind}) for ${e.cluster} ${e.kind}: gave up after ${n} tries: ${r.error.message}`);
        return done();
      }
      const pause = first * 2 ** (n - 1);
      o.log(`alert ${c.id} (${c.kind}): ${r.error.message} — retrying in ${pause / 1000} s`);
      const cancel = setTimer(() => {
        cancels.delete(cancel);
        attempt(c, e, n + 1);
      }, pause);
      cancels.add(cancel);
    })();
  };
  return {
    enqueue(c, e) {
      if (disposed) {
        return;
      }
      busy++;
      attempt(c, e, 1);
    },
    idle: () => (busy === 0 ? Promise.resolve() : new Promise((r) => waiters.push(r))),
    dispose() {
      disposed = true;
      cancels.forEach((c) => c());
      cancels.clear();
    },
  };
}
