/**
 * Helpers for the ops lab tests: an `OpsContext` that reaches lab hosts through real SSH
 * (engine/ssh, key login as root, host keys pinned after a first probe), as the product does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectSsh, probeHostKey } from '../../../engine/ssh';
import type { CommandRunner } from '../../../engine/ssh/runner';
import { err, ok, type Result } from '../../../engine/result';
import { fileJournalStore } from '../../../engine/ops/journal.fs';
import type { OpsContext } from '../../../engine/ops/operations';
import type { StepEvent } from '../../../engine/ops/executor';
import type { Lab } from '../../lab/lab';
import { parseQuorumtoolStatus } from '../../../engine/corosync';
import { qdeviceFlags } from '../../../engine/providers/qdevice-flags';
import { uninstallAgent } from '../../../engine/bootstrap/executor';
import type { Machine } from '../../../engine/api/contract';
import { createAdoptService, type AdoptService } from '../../../engine/api/service-adopt';
import type { RootSession } from '../../../engine/ssh';

export interface LabOps {
  readonly ctx: OpsContext;
  readonly home: string;
  readonly events: StepEvent[];
  cleanup(): void;
}

/** A state folder of its own (or `opts.home`) and SSH connections to the lab's hosts. */
export function labOps(
  lab: Pick<Lab, 'sshKey'>,
  opts: { signal?: AbortSignal; verbose?: boolean; home?: string; onEvent?: (e: StepEvent) => void } = {},
): LabOps {
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'quorate-ops-'));
  const pins = new Map<string, string>();
  const events: StepEvent[] = [];
  const ctx: OpsContext = {
    home,
    journal: fileJournalStore(home),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onEvent: (e) => {
      events.push(e);
      opts.onEvent?.(e);
      if (opts.verbose && e.state !== 'running') {
        console.log(`[${e.state}] ${e.machine} ${e.title}${e.line ? `: ${e.line}` : ''}`);
      }
    },
    async connect(machine: string): Promise<Result<CommandRunner>> {
      let pin = pins.get(machine);
      if (!pin) {
        const k = await probeHostKey(machine, 22, { timeoutMs: 15_000 });
        if (!k.ok) {
          return k;
        }
        pin = k.value.fingerprint;
        pins.set(machine, pin);
      }
      const s = await connectSsh(
        { address: machine, user: 'root', auth: { kind: 'key', path: lab.sshKey.privateKeyPath } },
        { pinnedFingerprint: pin, timeoutMs: 15_000, keepaliveMs: 0 },
      );
      return s.ok ? ok(s.value) : err(s.error.code, s.error.message, s.error.hint, s.error.cause);
    },
  };
  return { ctx, home, events, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** What the lab tests assert on, flattened from engine/corosync's parse of `corosync-quorumtool -s`. */
export interface QuorumStatus {
  readonly quorate: boolean;
  readonly expectedVotes: number;
  readonly totalVotes: number;
  readonly quorum: number;
  readonly flags: readonly string[];
  readonly members: readonly {
    nodeid: number;
    votes: number;
    name: string;
    local: boolean;
    qdeviceFlags: readonly string[];
  }[];
  /** Votes of the QDevice row; null without a QDevice. */
  readonly qdeviceVotes: number | null;
}

/** `corosync-quorumtool -s` on a lab host (nsenter: works also when the host is cut off); null when it does not parse. */
export async function quorumOn(lab: Lab, host: number): Promise<QuorumStatus | null> {
  const r = await lab.exec(host, 'corosync-quorumtool -s', { timeoutMs: 10_000 });
  const p = parseQuorumtoolStatus(r.stdout);
  const vq = p.ok ? p.value.votequorum : undefined;
  if (!p.ok || !vq) {
    return null;
  }
  return {
    quorate: p.value.quorate,
    expectedVotes: vq.expectedVotes,
    totalVotes: vq.totalVotes,
    quorum: vq.quorum,
    flags: vq.flags,
    members: p.value.members.map((m) => ({
      nodeid: m.nodeid,
      votes: m.votes,
      name: m.name,
      local: m.local,
      qdeviceFlags: qdeviceFlags(m.qdevice),
    })),
    qdeviceVotes: p.value.qdevice?.votes ?? null,
  };
}

/** Poll until `pred` holds for the host's quorum status; returns the last status (throws on timeout). */
export async function waitQuorumOn(
  lab: Lab,
  host: number,
  pred: (s: QuorumStatus) => boolean,
  timeoutMs = 60_000,
): Promise<QuorumStatus> {
  const end = Date.now() + timeoutMs;
  let last: QuorumStatus | null = null;
  while (Date.now() < end) {
    last = await quorumOn(lab, host);
    if (last && pred(last)) {
      return last;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`node${host}: condition not reached in ${timeoutMs} ms; last status ${JSON.stringify(last)}`);
}

/**
 * Remove the agent from `machine`, so the next pre-flight installs it afresh — started by the host's
 * sshd as it is now (a clock skew is faketime in sshd's environment, which a running agent never sees).
 */
export async function dropAgent(ctx: OpsContext, machine: string): Promise<void> {
  const r = await ctx.connect(machine);
  if (!r.ok) {
    throw new Error(`${machine}: ${r.error.message}`);
  }
  try {
    const u = await uninstallAgent(r.value);
    if (!u.ok) {
      throw new Error(`${machine}: ${u.error.message}`);
    }
  } finally {
    await r.value.close();
  }
}

/**
 * The adopt service over the lab's hosts, as `quorate hosts add` + trust leave them (the lab's key
 * as root): the machines it lists are every lab host, and it connects through `ops`' real SSH.
 */
export function labAdoptService(lab: Pick<Lab, 'hosts'>, ops: LabOps): AdoptService {
  return createAdoptService({
    home: ops.home,
    now: Date.now,
    machines: {
      listMachines: async () =>
        ok(lab.hosts.map((h) => ({ address: h.address, trusted: true, hostname: h.name }) as unknown as Machine)),
      connect: async (m) => {
        const r = await ops.ctx.connect(m);
        return r.ok ? ok(r.value as unknown as RootSession) : r;
      },
    },
  });
}
