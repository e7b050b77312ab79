/**
 * Collect pre-flight input through the node agents, reached over each machine's SSH session
 * (engine/bootstrap `openAgent`): facts (`facts`), clock offsets (`clock`, round-trip corrected) and a
 * UDP probe mesh on the corosync port range (`probe.listen` everywhere, then `probe.measure` from one
 * sender at a time). A machine without the agent (or with an older one) gets it installed first —
 * idempotent, about a second — and the progress says so. The checks themselves are pure (engine/preflight).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AGENT_PROTOCOL_VERSION, AGENT_VERSION, type ProbeMeasureResult } from '../agent/protocol';
import { estimateClockOffset, createWallClock, type ClockSample } from '../agent/clock';
import { openAgent, type AgentCaller } from '../bootstrap/agents';
import { defaultBundlePath, loadAgentBundle } from '../bootstrap/bundle.fs';
import { installAgent, type AgentHost } from '../bootstrap/executor';
import { compareVersions } from '../bootstrap/scripts';
import { splitMachineName } from '../store';
import { err, ok, type Result } from '../result';
import type { LinkNumber } from '../model/cluster';
import type { ExistingCluster, LinkMeasurement, MachineFacts, PreflightInput } from '../preflight/types';
import { addressInCidr, machineFactsFromAgent, measurementFromProbe, PROBE_PORT } from './agent-facts';

export { addressInCidr } from './agent-facts';

export interface ProbeTarget {
  readonly machine: string;
  /** The machine's SSH session (root, or a sudo user: the agent is then called through sudo). */
  readonly runner: AgentHost;
  /** Intended address per link; when absent, resolved from `linkCidrs` or the machine address. */
  readonly linkAddresses?: Partial<Record<LinkNumber, string>>;
}

/** One line of progress about a machine's agent (installing it, upgrading it). */
export interface AgentProgress {
  readonly machine: string;
  readonly state: 'running' | 'done' | 'failed';
  readonly line: string;
}

export interface AgentOptions {
  readonly onAgentProgress?: (p: AgentProgress) => void;
  /** The agent bundle to install where it is missing (default: engine/bootstrap `defaultBundlePath`). */
  readonly agentBundlePath?: string;
}

export interface GatherOptions extends AgentOptions {
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
  /** UDP port the responders answer on, 5405..5412 (default 5412). */
  readonly probePort?: number;
  /** Local wall clock the offsets are measured against (default: `Date.now` at sub-ms resolution). */
  readonly now?: () => number;
}

/** Uncounted probes before each measurement: the first datagrams pay for ARP and the JIT. */
const PROBE_WARMUP = 3;
/** Clock exchanges per machine; the one with the shortest round trip wins. */
const CLOCK_SAMPLES = 5;

async function answers(caller: AgentCaller): Promise<boolean> {
  const hello = await caller.call('hello', {}, { timeoutMs: 10_000 });
  return (
    hello.ok &&
    hello.value.protocolVersion === AGENT_PROTOCOL_VERSION &&
    compareVersions(hello.value.agentVersion, AGENT_VERSION) >= 0
  );
}

/**
 * A connection to `machine`'s agent; installs (or upgrades) it first when it does not answer as this
 * Quorate's version. Fails with `preflight.agent-missing` when it cannot be had.
 */
export async function ensureAgent(
  machine: string,
  host: AgentHost,
  o: AgentOptions = {},
): Promise<Result<AgentCaller>> {
  const first = await openAgent(host);
  if (first.ok && (await answers(first.value))) {
    return first;
  }
  if (first.ok) {
    first.value.close();
  }
  const missing = (why: string, cause?: unknown): Result<never> => {
    o.onAgentProgress?.({ machine, state: 'failed', line: why });
    return err(
      'preflight.agent-missing',
      `pre-flight reads ${machine} through the Quorate agent, which is not running there, and installing it failed: ${why}`,
      `run \`quorate bootstrap ${machine}\` first`,
      cause,
    );
  };
  const bundle = await loadAgentBundle(o.agentBundlePath ?? defaultBundlePath());
  if (!bundle.ok) {
    return missing(bundle.error.message, bundle.error);
  }
  o.onAgentProgress?.({
    machine,
    state: 'running',
    line: `the Quorate agent ${AGENT_VERSION} is not answering there: installing it`,
  });
  const installed = await installAgent(host, bundle.value, {
    onProgress: (p) => o.onAgentProgress?.({ machine, state: 'running', line: p.message }),
  });
  if (!installed.ok) {
    return missing(installed.error.message, installed.error);
  }
  const second = await openAgent(host);
  if (!second.ok) {
    return missing(second.error.message, second.error);
  }
  if (!(await answers(second.value))) {
    second.value.close();
    return missing('it was installed but does not answer');
  }
  o.onAgentProgress?.({
    machine,
    state: 'done',
    line: `${installed.value.message} (${installed.value.durationMs} ms)`,
  });
  return second;
}

/** The agent's facts about `machine` as pre-flight sees them. */
export async function readFacts(machine: string, caller: AgentCaller): Promise<Result<MachineFacts>> {
  const f = await caller.call('facts', {}, { timeoutMs: 30_000 });
  if (!f.ok) {
    return err(
      'preflight.unreachable',
      `could not read facts from ${machine}: ${f.error.message}`,
      f.error.hint,
      f.error,
    );
  }
  return ok(machineFactsFromAgent(machine, f.value));
}

/** Agent clock minus `now`, ms: NTP-style exchanges, the shortest round trip wins (engine/agent/clock). */
export async function measureOffset(
  caller: AgentCaller,
  now: () => number,
  samples = CLOCK_SAMPLES,
): Promise<Result<number>> {
  const taken: ClockSample[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = now();
    const r = await caller.call('clock', {}, { timeoutMs: 10_000 });
    const t3 = now();
    if (!r.ok) {
      return r;
    }
    taken.push({ t0, t1: r.value.wallMs, t2: r.value.wallMs, t3 });
  }
  return ok(estimateClockOffset(taken)!.offsetMs);
}

/** Facts, clocks and the probe mesh through the agents; a machine that cannot be read is an error. */
export async function gatherPreflightInput(
  opts: GatherOptions,
): Promise<Result<{ input: PreflightInput; facts: Map<string, MachineFacts> }>> {
  const now = opts.now ?? createWallClock();
  const all = [...opts.machines, ...(opts.members ?? [])];
  const callers = new Map<string, AgentCaller>();
  try {
    const opened = await Promise.all(all.map(async (t) => ({ t, r: await ensureAgent(t.machine, t.runner, opts) })));
    for (const { t, r } of opened) {
      if (r.ok) {
        callers.set(t.machine, r.value);
      }
    }
    const failed = opened.find((o) => !o.r.ok);
    if (failed && !failed.r.ok) {
      return failed.r;
    }

    const facts = new Map<string, MachineFacts>();
    const clockOffsetsMs: Record<string, number> = {};
    const read = await Promise.all(
      all.map(async (t) => {
        const caller = callers.get(t.machine)!;
        const f = await readFacts(t.machine, caller);
        // Clocks after facts, one machine at a time would be slower and no more precise: each estimate
        // keeps its own shortest exchange.
        const c = f.ok ? await measureOffset(caller, now) : null;
        return { t, f, c };
      }),
    );
    for (const { t, f, c } of read) {
      if (!f.ok) {
        return f;
      }
      facts.set(t.machine, f.value);
      if (c?.ok) {
        clockOffsetsMs[t.machine] = c.value;
      }
    }

    // A plain address given as a link's network means "the network of the interface that holds it".
    const cidrs: Partial<Record<LinkNumber, string>> = {};
    for (const [l, v] of Object.entries(opts.linkCidrs ?? {})) {
      if (!v) {
        continue;
      }
      cidrs[Number(l) as LinkNumber] = v.includes('/')
        ? v
        : ([...facts.values()]
            .flatMap((f) => f.interfaces.flatMap((i) => i.addresses))
            .find((a) => a.split('/')[0] === v) ?? `${v}/32`);
    }
    const linkAddresses: Record<string, Partial<Record<LinkNumber, string>>> = {};
    for (const t of all) {
      const f = facts.get(t.machine)!;
      const addrs: Partial<Record<LinkNumber, string>> = { ...(t.linkAddresses ?? {}) };
      for (const [l, cidr] of Object.entries(cidrs)) {
        const link = Number(l) as LinkNumber;
        if (addrs[link] === undefined && cidr) {
          const a = addressInCidr(f, cidr);
          if (a) {
            addrs[link] = a;
          }
        }
      }
      // link0 defaults to the address the machine was added with (pvecm's default too) — the
      // address alone: a machine on another SSH port is named `address:port`.
      if (addrs[0] === undefined && cidrs[0] === undefined) {
        addrs[0] = splitMachineName(t.machine).address;
      }
      linkAddresses[t.machine] = addrs;
    }
    const measurements = await probeMesh(
      all.map((t) => ({ machine: t.machine, caller: callers.get(t.machine)! })),
      linkAddresses,
      opts.probeCount ?? 30,
      opts.probeGapMs ?? 5,
      opts.probePort ?? PROBE_PORT,
    );
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
  } finally {
    for (const c of callers.values()) {
      c.close();
    }
  }
}

/** The agent probes IP literals: a machine added by name is resolved here, as the desktop reaches it. */
async function ipOf(address: string): Promise<string | null> {
  if (isIP(address)) {
    return address;
  }
  try {
    return (await lookup(address)).address;
  } catch {
    return null;
  }
}

/**
 * Responders on every machine, then each machine in turn probes the others on each link — one
 * sender at a time, so the probes do not compete with each other for a busy machine's CPU (they
 * measure the network); a sender's targets are probed together, as corosync's heartbeats go out.
 */
async function probeMesh(
  all: readonly { machine: string; caller: AgentCaller }[],
  linkAddresses: Record<string, Partial<Record<LinkNumber, string>>>,
  count: number,
  gapMs: number,
  port: number,
): Promise<LinkMeasurement[]> {
  if (all.length < 2) {
    return [];
  }
  const links = new Set<LinkNumber>();
  for (const a of Object.values(linkAddresses)) {
    for (const l of Object.keys(a)) {
      links.add(Number(l) as LinkNumber);
    }
  }
  const replyWaitMs = 1000;
  const perSendMs = (count + PROBE_WARMUP) * gapMs + replyWaitMs + 2000;
  // Long enough for the whole mesh; the responders stop by themselves, also if Quorate goes away.
  const durationMs = Math.min(600_000, 10_000 + all.length * links.size * perSendMs);
  // A responder that cannot listen (the port is taken) shows as unreachable in the measurements.
  await Promise.all(
    all.map((m) => m.caller.call('probe.listen', { ports: [port], durationMs }, { timeoutMs: 15_000 })),
  );
  const out: LinkMeasurement[] = [];
  for (const from of all) {
    for (const l of links) {
      const own = linkAddresses[from.machine]?.[l];
      if (!own) {
        continue;
      }
      const source = isIP(own) ? own : undefined;
      const targets = all
        .filter((t) => t !== from && linkAddresses[t.machine]?.[l])
        .map((t) => ({ machine: t.machine, addr: linkAddresses[t.machine]![l]! }));
      const results = await Promise.all(
        targets.map(async (t): Promise<ProbeMeasureResult | null> => {
          const host = await ipOf(t.addr);
          if (host === null) {
            return null;
          }
          const r = await from.caller.call(
            'probe.measure',
            {
              host,
              port,
              count,
              intervalMs: gapMs,
              timeoutMs: replyWaitMs,
              warmup: PROBE_WARMUP,
              ...(source ? { source } : {}),
            },
            { timeoutMs: perSendMs + 15_000 },
          );
          return r.ok ? r.value : null;
        }),
      );
      targets.forEach((t, i) => out.push(measurementFromProbe(from.machine, t.machine, l, count, results[i]!)));
    }
  }
  return out;
}
