/**
 * UDP probes on the corosync port range: a bounded-time responder (`probe.listen`) and a measurer
 * (`probe.measure`). Datagrams are tiny text (`QRTP1 seq stamp`); the responder echoes them back.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { err, ok, type Result } from '../result';
import { decodeProbe, encodeProbe, summariseRtts } from './probe-stats';
import type { ProbeListenParams, ProbeListenResult, ProbeMeasureParams, ProbeMeasureResult } from './protocol';

/** Active responders by port, so a second `probe.listen` on a port extends the first instead of failing. */
const responders = new Map<number, { socket: Socket; timer: NodeJS.Timeout; untilMs: number }>();

function bind(socket: Socket, port: number, address?: string): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const onError = (e: Error): void => resolve(e as NodeJS.ErrnoException);
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(null);
    });
  });
}

/** Answer probes on `ports` for `durationMs`. Refuses (and opens nothing) if any port is taken. */
export async function probeListen(
  p: ProbeListenParams,
  now: () => number = Date.now,
): Promise<Result<ProbeListenResult>> {
  const untilMs = now() + p.durationMs;
  const opened: { port: number; socket: Socket }[] = [];
  for (const port of p.ports) {
    const existing = responders.get(port);
    if (existing) {
      clearTimeout(existing.timer);
      existing.untilMs = Math.max(existing.untilMs, untilMs);
      existing.timer = setTimeout(() => stopResponder(port), Math.max(0, existing.untilMs - now()));
      existing.timer.unref();
      continue;
    }
    const socket = createSocket({ type: p.address && isIPv6(p.address) ? 'udp6' : 'udp4', reuseAddr: false });
    const problem = await bind(socket, port, p.address);
    if (problem) {
      socket.close();
      for (const o of opened) {
        stopResponder(o.port);
      }
      const busy = problem.code === 'EADDRINUSE';
      return err(
        busy ? 'agent.probe-port-busy' : 'agent.probe-listen-failed',
        busy
          ? `UDP port ${port} is already in use on this machine (corosync running?)`
          : `could not listen on UDP port ${port}: ${problem.message}`,
        busy
          ? 'choose another port in 5405–5412 for the probe, or stop the service holding it'
          : "check that the address is one of this machine's",
        problem,
      );
    }
    socket.on('message', (msg, rinfo) => {
      if (decodeProbe(msg.toString('latin1')) === null) {
        return;
      }
      socket.send(msg, rinfo.port, rinfo.address);
    });
    socket.on('error', () => stopResponder(port));
    const timer = setTimeout(() => stopResponder(port), p.durationMs);
    timer.unref();
    responders.set(port, { socket, timer, untilMs });
    opened.push({ port, socket });
  }
  return ok({ ports: [...p.ports], untilMs });
}

function stopResponder(port: number): void {
  const r = responders.get(port);
  if (!r) {
    return;
  }
  responders.delete(port);
  clearTimeout(r.timer);
  try {
    r.socket.close();
  } catch {
    // already closed
  }
}

/** Stop every responder (daemon shutdown). */
export function stopAllResponders(): void {
  for (const port of [...responders.keys()]) {
    stopResponder(port);
  }
}

/**
 * Send `warmup` uncounted probes, then `count` probes, `intervalMs` apart, to host:port; wait
 * `timeoutMs` after the last, report (with every reply's RTT, for callers that summarise themselves).
 * Sends from an ephemeral port: the peer's firewall sees traffic to the corosync port, as corosync's would.
 */
export async function probeMeasure(p: ProbeMeasureParams, signal?: AbortSignal): Promise<Result<ProbeMeasureResult>> {
  const socket = createSocket(isIPv6(p.host) ? 'udp6' : 'udp4');
  const problem = await bind(socket, 0, p.source);
  if (problem) {
    socket.close();
    return err(
      'agent.probe-failed',
      `could not open a UDP socket to probe ${p.host}:${p.port}${p.source ? ` from ${p.source}` : ''}`,
      p.source
        ? `check that ${p.source} is one of this machine's addresses`
        : "check the machine's network configuration",
      problem,
    );
  }
  const hr = (): number => Number(process.hrtime.bigint()) / 1e6;
  const sentAt = new Map<number, number>();
  const rtts = new Map<number, number>();
  socket.on('message', (msg) => {
    const t = hr();
    const d = decodeProbe(msg.toString('latin1'));
    if (!d || rtts.has(d.seq) || !sentAt.has(d.seq)) {
      return;
    }
    rtts.set(d.seq, t - sentAt.get(d.seq)!);
  });
  // A send that fails (no route) is simply a probe that never comes back: counted as loss.
  socket.on('error', () => undefined);
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  try {
    // Warm-up datagrams carry sequence numbers past the counted ones and are never recorded: their
    // echoes are ignored, so ARP resolution and a cold JIT do not count as network latency.
    const warmup = p.warmup ?? 0;
    for (let i = 0; i < warmup && !signal?.aborted; i++) {
      socket.send(encodeProbe(p.count + i, Math.round(hr() * 1000) / 1000), p.port, p.host, () => undefined);
      await sleep(p.intervalMs);
    }
    for (let seq = 0; seq < p.count && !signal?.aborted; seq++) {
      const t = hr();
      sentAt.set(seq, t);
      socket.send(encodeProbe(seq, Math.round(t * 1000) / 1000), p.port, p.host, () => undefined);
      if (seq < p.count - 1) {
        await sleep(p.intervalMs);
      }
    }
    // Wait for the stragglers, but stop early once everything is back.
    const deadline = hr() + p.timeoutMs;
    while (hr() < deadline && rtts.size < sentAt.size && !signal?.aborted) {
      await sleep(Math.min(10, p.timeoutMs));
    }
  } finally {
    socket.close();
  }
  const ordered = [...rtts.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
  return ok({ host: p.host, port: p.port, ...summariseRtts(sentAt.size, ordered), rttsMs: ordered });
}
