/**
 * Collect pre-flight input over `CommandRunner`s: facts from one shell script per machine, clock
 * offsets from the same round trip, and a UDP probe mesh on the corosync port range (responders on
 * every machine, then all senders at once). The checks themselves are pure (engine/preflight).
 */
import { err, ok, type Result } from '../result';
import type { LinkNumber } from '../model/cluster';
import type { CommandRunner } from '../ssh/runner';
import { summariseProbe } from '../preflight/probe';
import type { ExistingCluster, LinkMeasurement, MachineFacts, PreflightInput } from '../preflight/types';
import { FACTS_SCRIPT, parseFacts, PROBE_PORT, RESPONDER_JS, SENDER_JS } from './facts';
import { sh } from './scripts';

export interface ProbeTarget {
  readonly machine: string;
  readonly runner: CommandRunner;
  /** Intended address per link; when absent, resolved from `linkCidrs` or the machine address. */
  readonly linkAddresses?: Partial<Record<LinkNumber, string>>;
}

export interface GatherOptions {
  readonly mode: 'create' | 'join';
  /** The machines being checked (founder first for create; joiners for join). */
  readonly machines: readonly ProbeTarget[];
  /** Existing members to probe against (join). */
  readonly members?: readonly ProbeTarget[];
  readonly cluster?: ExistingCluster;
  /**
   * `--link0 CIDR`: the address on that network is the link address. A plain address stands for the
   * network of the interface holding it (on whichever machine has it).
   */
  readonly linkCidrs?: Partial<Record<LinkNumber, string>>;
  readonly probeCount?: number;
  readonly probeGapMs?: number;
  readonly now?: () => number;
}

function ipv4ToInt(ip: string): number | null {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return null;
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}

/** The first interface address inside `cidr` (IPv4), or null. */
export function addressInCidr(facts: MachineFacts, cidr: string): string | null {
  const [net, bitsS] = cidr.split('/');
  const n = ipv4ToInt(net ?? '');
  const bits = Number(bitsS ?? 32);
  if (n === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return null;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  for (const i of facts.interfaces) {
    for (const a of i.addresses) {
      const ip = a.split('/')[0]!;
      const v = ipv4ToInt(ip);
      if (v !== null && ((v & mask) >>> 0) === ((n & mask) >>> 0)) return ip;
    }
  }
  return null;
}

/** Gather facts, clocks and the probe mesh; a machine that cannot be reached is an error. */
export async function gatherPreflightInput(opts: GatherOptions): Promise<Result<{ input: PreflightInput; facts: Map<string, MachineFacts> }>> {
  const now = opts.now ?? Date.now;
  const all = [...opts.machines, ...(opts.members ?? [])];
  const facts = new Map<string, MachineFacts>();
  const clockOffsetsMs: Record<string, number> = {};
  const results = await Promise.all(all.map(async (t) => {
    const t0 = now();
    const r = await t.runner.run(FACTS_SCRIPT, { timeoutMs: 20_000 });
    const t1 = now();
    return { t, r, mid: (t0 + t1) / 2 };
  }));
  for (const { t, r, mid } of results) {
    if (!r.ok) return err('preflight.unreachable', `could not read facts from ${t.runner.label}: ${r.error.message}`, r.error.hint);
    const parsed = parseFacts(t.machine, r.value.stdout);
    facts.set(t.machine, parsed.facts);
    if (parsed.remoteTimeMs !== null) clockOffsetsMs[t.machine] = parsed.remoteTimeMs - mid;
  }
  // A plain address given as a link's network means "the network of the interface that holds it".
  const cidrs: Partial<Record<LinkNumber, string>> = {};
  for (const [l, v] of Object.entries(opts.linkCidrs ?? {})) {
    if (!v) continue;
    cidrs[Number(l) as LinkNumber] = v.includes('/') ? v : [...facts.values()].flatMap((f) => f.interfaces.flatMap((i) => i.addresses)).find((a) => a.split('/')[0] === v) ?? `${v}/32`;
  }
  const linkAddresses: Record<string, Partial<Record<LinkNumber, string>>> = {};
  for (const t of all) {
    const f = facts.get(t.machine)!;
    const addrs: Partial<Record<LinkNumber, string>> = { ...(t.linkAddresses ?? {}) };
    for (const [l, cidr] of Object.entries(cidrs)) {
      const link = Number(l) as LinkNumber;
      if (addrs[link] === undefined && cidr) {
        const a = addressInCidr(f, cidr);
        if (a) addrs[link] = a;
      }
    }
    // link0 defaults to the address the machine was added with (pvecm's default too).
    if (addrs[0] === undefined && cidrs[0] === undefined) addrs[0] = t.machine;
    linkAddresses[t.machine] = addrs;
  }
  const measurements = await probeMesh(all, linkAddresses, opts.probeCount ?? 30, opts.probeGapMs ?? 5);
  const checked = new Set(opts.machines.map((m) => m.machine));
  return ok({
    input: {
      mode: opts.mode,
      machines: opts.machines.map((m) => facts.get(m.machine)!),
      linkAddresses: Object.fromEntries(Object.entries(linkAddresses).filter(([m]) => checked.has(m))),
      measurements,
      clockOffsetsMs,
      ...(opts.cluster ? { cluster: opts.cluster } : {}),
    },
    facts,
  });
}

/**
 * Responders everywhere, then every machine probes every other on each link — one sender at a
 * time, so the probes do not compete with each other for the CPU (they measure the network).
 */
async function probeMesh(all: readonly ProbeTarget[], linkAddresses: Record<string, Partial<Record<LinkNumber, string>>>, count: number, gapMs: number): Promise<LinkMeasurement[]> {
  if (all.length < 2) return [];
  const links = new Set<LinkNumber>();
  for (const a of Object.values(linkAddresses)) for (const l of Object.keys(a)) links.add(Number(l) as LinkNumber);
  const lifetimeMs = 10_000 + all.length * (2000 + (count + 3) * gapMs);
  const script = '/tmp/quorate-probe-responder.js';
  const pids = new Map<string, string[]>();
  await Promise.all(all.map(async (t) => {
    await t.runner.upload(script, RESPONDER_JS, 0o644);
    const list: string[] = [];
    for (const l of links) {
      const addr = linkAddresses[t.machine]?.[l];
      if (!addr) continue;
      const log = `/tmp/quorate-probe-${l}.log`;
      const r = await t.runner.run(`rm -f ${log}; setsid nohup node ${script} ${sh(addr)} ${PROBE_PORT} ${lifetimeMs} >${log} 2>&1 </dev/null & echo $!; i=0; while [ $i -lt 30 ] && ! grep -q ready ${log} 2>/dev/null; do sleep 0.1; i=$((i+1)); done`, { timeoutMs: 10_000 });
      if (r.ok) list.push(r.value.stdout.trim().split('\n')[0] ?? '');
    }
    pids.set(t.machine, list);
  }));
  const out: LinkMeasurement[] = [];
  for (const from of all) {
    for (const l of links) {
      const src = linkAddresses[from.machine]?.[l];
      if (!src) continue;
      const targets = all.filter((t) => t !== from && linkAddresses[t.machine]?.[l]).map((t) => ({ machine: t.machine, addr: linkAddresses[t.machine]![l]! }));
      if (targets.length === 0) continue;
      const r = await from.runner.run(`node - ${sh(src)} ${PROBE_PORT} ${count} ${gapMs} ${targets.map((t) => sh(t.addr)).join(' ')}`, { stdin: SENDER_JS, timeoutMs: 10_000 + count * gapMs });
      let rtts: Record<string, number[]> = {};
      if (r.ok && r.value.exitCode === 0) {
        try {
          rtts = JSON.parse(r.value.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number[]>;
        } catch {
          rtts = {};
        }
      }
      for (const t of targets) out.push(summariseProbe(from.machine, t.machine, l, count, rtts[t.addr] ?? []));
    }
  }
  await Promise.all(all.map((t) => {
    const list = (pids.get(t.machine) ?? []).filter((p) => /^\d+$/.test(p));
    return list.length ? t.runner.run(`kill ${list.join(' ')} 2>/dev/null; rm -f ${script}; true`, { timeoutMs: 5000 }) : Promise.resolve();
  }));
  return out;
}
