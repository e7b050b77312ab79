/**
 * The machines before there is a cluster: the networks they share (candidates for links) and the
 * pre-flight of a would-be cluster. Part of the operations service: the create plan of the same
 * wizard pass is made from the pre-flight input measured here (measured once, used once).
 */
import { randomUUID } from 'node:crypto';
import type { LinkNumber } from '../model/cluster';
import type { StepEvent } from '../ops/executor';
import type { OpsContext } from '../ops/operations';
import { gatherPreflightInput } from '../ops/preflight-gather.ssh';
import { agentOptions } from '../ops/run';
import { clockOffsetsFromMedian, runPreflight as evaluatePreflight } from '../preflight/checks';
import type { PreflightInput } from '../preflight/types';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { CommandRunner } from '../ssh/runner';
import type { LinkNetwork, LinkNumberValue, QuorateApi } from './contract';
import type { EventHub } from './event-hub';
import { stepUpdateOf } from './step-update';

export type PreflightService = Pick<QuorateApi, 'listNetworks' | 'runPreflight'>;

/** How long a pre-flight measured in the wizard is reused by the plan that follows it. */
const PREFLIGHT_REUSE_MS = 10 * 60_000;

/** The pre-flight input measured by runPreflight, per machines + links, until a create plan takes it. */
export interface MeasuredPreflight {
  remember(addresses: readonly string[], links: readonly LinkNetwork[], input: PreflightInput): void;
  take(addresses: readonly string[], links: readonly LinkNetwork[]): PreflightInput | undefined;
}

export function measuredPreflight(now: () => number): MeasuredPreflight {
  const measured = new Map<string, { input: PreflightInput; at: number }>();
  const key = (addresses: readonly string[], links: readonly LinkNetwork[]): string =>
    JSON.stringify([
      addresses,
      [...links].sort((a, b) => a.linknumber - b.linknumber).map((l) => [l.linknumber, l.network]),
    ]);
  return {
    remember: (addresses, links, input) => measured.set(key(addresses, links), { input, at: now() }),
    take(addresses, links) {
      const k = key(addresses, links);
      const m = measured.get(k);
      measured.delete(k);
      return m && now() - m.at <= PREFLIGHT_REUSE_MS ? m.input : undefined;
    },
  };
}

export interface PreflightDeps {
  readonly events: EventHub;
  readonly now: () => number;
  /** The operations' context (its connect), with `onEvent` added when given. */
  readonly context: (onEvent?: (e: StepEvent) => void) => OpsContext;
}

export function createPreflightHandlers(deps: PreflightDeps, measured: MeasuredPreflight): PreflightService {
  /** Opens sessions to the machines (through the operations' connect), closes them all afterwards. */
  const withSessions = async <T>(
    addresses: readonly string[],
    fn: (sessions: CommandRunner[]) => Promise<Result<T>>,
  ): Promise<Result<T>> => {
    const sessions: CommandRunner[] = [];
    try {
      for (const a of addresses) {
        const s = await deps.context().connect(a);
        if (!s.ok) {
          return err(s.error.code, `could not reach ${a}: ${s.error.message}`, s.error.hint, s.error.cause);
        }
        sessions.push(s.value);
      }
      return await fn(sessions);
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
  };

  return {
    async listNetworks({ addresses }) {
      return withSessions(addresses, async (sessions) => {
        const networks = new Map<string, Record<string, string>>();
        for (const [i, s] of sessions.entries()) {
          const out = await s.run('ip -o -4 addr show scope global', { timeoutMs: 15_000 });
          if (!out.ok) {
            return out;
          }
          if (out.value.exitCode !== 0) {
            return err(
              'machines.command-failed',
              `ip addr failed on ${s.label} (exit ${out.value.exitCode}).`,
              'Check that iproute2 is installed on the machine.',
              out.value.stderr,
            );
          }
          for (const [address, prefix] of parseIpAddr(out.value.stdout)) {
            const net = networkOf(address, prefix);
            if (!net) {
              continue;
            }
            const entry = networks.get(net) ?? {};
            entry[addresses[i]!] ??= address;
            networks.set(net, entry);
          }
        }
        // Most useful first: networks every machine is on.
        return ok(
          [...networks.entries()]
            .map(([network, addrs]) => ({ network, addresses: addrs }))
            .sort(
              (a, b) =>
                Object.keys(b.addresses).length - Object.keys(a.addresses).length || a.network.localeCompare(b.network),
            ),
        );
      });
    },

    async runPreflight(p) {
      if (p.mode === 'join') {
        return err(
          'api.not-available',
          'A pre-flight for joining an existing cluster is not available from the window yet (runPreflight mode "join").',
          'planJoinCluster runs the same join checks before it plans; use it, or `quorate join … --plan` in a terminal.',
        );
      }
      // A machine without the agent gets it first; that shows as a step (the terminal prints it).
      const progressId = `preflight-${randomUUID()}`;
      const progress = deps.context((e) =>
        deps.events.emit('onDidUpdateStep', stepUpdateOf(progressId, e, 0, 0, deps.now())),
      );
      return withSessions(p.addresses, async (sessions) => {
        const cidrs = linkCidrs(p.links);
        const g = await gatherPreflightInput({
          mode: 'create',
          machines: sessions.map((s, i) => ({ machine: p.addresses[i]!, runner: s })),
          ...(Object.keys(cidrs).length ? { linkCidrs: cidrs } : {}),
          now: deps.now,
          ...agentOptions(progress),
        });
        if (!g.ok) {
          return g;
        }
        const report = evaluatePreflight(g.value.input);
        const input = g.value.input;
        measured.remember(p.addresses, p.links, input);
        const fromMedian = clockOffsetsFromMedian(input);
        return ok({
          ok: report.ok,
          checks: report.checks.map((c) => ({ ...c })),
          latency: p.links.map((l) => ({
            linknumber: l.linknumber,
            network: l.network,
            pairs: input.measurements
              .filter((m) => m.link === l.linknumber)
              .map(
                (m) =>
                  ({
                    from: m.from,
                    to: m.to,
                    udpReachable: m.udpReachable,
                    rttAvgMs: m.rttAvgMs,
                    jitterMs: m.jitterMs,
                    lossPercent: m.lossPercent,
                    status:
                      !m.udpReachable || m.rttAvgMs >= 5
                        ? 'fail'
                        : m.rttAvgMs > 2 || m.lossPercent > 0
                          ? 'warn'
                          : 'pass',
                  }) as const,
              ),
          })),
          // The same figures as the checks: offsets against the median node, NTP in the check's words.
          clocks: input.machines.map((f) => {
            const check = (id: string) => report.checks.find((c) => c.id === id && c.subject === f.machine);
            return {
              machine: f.machine,
              offsetMs: fromMedian[f.machine] ?? 0,
              ntpSynchronized: f.ntpSynchronized,
              ntp: check('preflight.ntp')?.measured ?? 'unknown',
              status: check('preflight.clock-offset')?.status ?? 'warn',
            } as const;
          }),
          versions: input.machines.map((f) => ({
            machine: f.machine,
            hostname: f.hostname,
            os: f.os ?? null,
            corosync: f.corosyncVersion,
            qdevice: f.qdeviceInstalled,
            pve: f.pveVersion,
          })),
          measuredAt: deps.now(),
        });
      });
    },
  };
}

export function linkCidrs(links: readonly LinkNetwork[]): Partial<Record<LinkNumber, string>> {
  return Object.fromEntries(links.map((l) => [l.linknumber as LinkNumberValue, l.network])) as Partial<
    Record<LinkNumber, string>
  >;
}

/** `ip -o -4 addr show` lines → [address, prefix length]. */
export function parseIpAddr(stdout: string): [string, number][] {
  const out: [string, number][] = [];
  for (const line of stdout.split('\n')) {
    const m = /\binet (\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})\b/.exec(line);
    if (m) {
      out.push([m[1]!, Number(m[2])]);
    }
  }
  return out;
}

/** `198.18.0.11`, 24 → `198.18.0.0/24`; undefined for a host route (/32) or a bad address. */
export function networkOf(address: string, prefix: number): string | undefined {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255) || prefix < 1 || prefix > 31) {
    return undefined;
  }
  const n = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${prefix}`;
}
