/**
 * "Plan once, run what was reviewed": a plan keeps what it was based on, and running it re-checks
 * only that (config_version per node, the membership), refusing — with nothing written — when the
 * cluster moved. Over a small in-memory world of machines (the lab tests run the real thing).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeLink, type OpsContext } from '../../../engine/ops/operations';
import { fileJournalStore } from '../../../engine/ops/journal.fs';
import { saveCluster } from '../../../engine/ops/registry.fs';
import { runReviewed, type Reviewed } from '../../../engine/ops/run';
import { newSpec } from '../../../engine/ops/spec';
import { ok, unwrap } from '../../../engine/result';
import type { CommandRunner } from '../../../engine/ssh/runner';

const sample = readFileSync(
  join(import.meta.dirname, '..', 'corosync', 'tool-samples', 'quorumtool-s-three-nodes-quorate', 'output.txt'),
  'utf8',
);

interface Machine {
  conf: string;
  members: number[];
}

/** Machines m1..m3 answering `cat corosync.conf` and `corosync-quorumtool -s`; anything else is recorded as a write. */
function world(): { machines: Map<string, Machine>; writes: string[]; ctx: (home: string) => OpsContext } {
  const conf = unwrap(
    newSpec(
      'lab',
      [1, 2, 3].map((i) => ({ name: `node${i}`, machine: `m${i}`, addresses: { 0: `198.18.9.${i}` } })),
    ),
  ).conf;
  const machines = new Map([1, 2, 3].map((i) => [`m${i}`, { conf, members: [1, 2, 3] }]));
  const writes: string[] = [];
  const runner = (name: string): CommandRunner => ({
    label: name,
    async run(command) {
      const m = machines.get(name)!;
      if (command.startsWith('cat ') && command.includes('/etc/corosync/corosync.conf')) {
        return ok({ stdout: m.conf, stderr: '', exitCode: 0, signal: null });
      }
      if (command === 'corosync-quorumtool -s') {
        const lines = sample.split('\n').filter((l) => {
          const id = /^\s+(\d+)\s+1 node/.exec(l)?.[1];
          return id === undefined || m.members.includes(Number(id));
        });
        const text = lines.join('\n').replace(/Nodes:\s+3/, `Nodes:            ${m.members.length}`);
        return ok({ stdout: text, stderr: '', exitCode: 0, signal: null });
      }
      writes.push(`${name}: ${command}`);
      return ok({ stdout: '', stderr: 'not in this world', exitCode: 1, signal: null });
    },
    async upload(path) {
      writes.push(`${name}: upload ${path}`);
      return ok(undefined);
    },
    async close() {},
  });
  return {
    machines,
    writes,
    ctx: (home) => ({ home, journal: fileJournalStore(home), connect: async (m) => ok(runner(m)) }),
  };
}

let home: string;
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'quorate-reviewed-'));
  await saveCluster({ name: 'lab', provider: 'corosync', nodes: { node1: 'm1', node2: 'm2', node3: 'm3' } }, home);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

async function reviewedLink(ctx: OpsContext): Promise<Reviewed> {
  const r = unwrap(
    await changeLink(ctx, {
      name: 'lab',
      link: 1,
      addresses: { node1: '198.18.10.1', node2: '198.18.10.2', node3: '198.18.10.3' },
      planOnly: true,
    }),
  );
  expect(r.reviewed).toBeDefined();
  return r.reviewed!;
}

describe('running a reviewed plan', () => {
  it('keeps what the plan was based on: every node’s config_version and the membership', async () => {
    const w = world();
    const reviewed = await reviewedLink(w.ctx(home));
    expect(reviewed.basis.versions).toEqual({ m1: 1, m2: 1, m3: 1 });
    expect(reviewed.basis.members).toEqual([1, 2, 3]);
    expect(reviewed.plan.request).toBe('link1');
    // One operation, one config_version: three address edits, one bump.
    const installs = reviewed.plan.steps.filter((s) => s.action.kind === 'install-conf');
    expect(new Set(installs.map((s) => (s.action.kind === 'install-conf' ? s.action.configVersion : 0)))).toEqual(
      new Set([2]),
    );
    expect(w.writes).toEqual([]);
  });

  it('refuses when one node’s config_version was bumped by hand after the review, naming it and both versions; writes nothing', async () => {
    const w = world();
    const reviewed = await reviewedLink(w.ctx(home));
    const m2 = w.machines.get('m2')!;
    m2.conf = m2.conf.replace(/config_version: 1/, 'config_version: 7');
    const r = await runReviewed(w.ctx(home), reviewed);
    expect(!r.ok && r.error.code).toBe('ops.plan-stale');
    expect(!r.ok && r.error.message).toMatch(/m2.*config_version 7.*config_version 1/);
    expect(!r.ok && r.error.hint).toMatch(/Nothing was written/);
    expect(w.writes).toEqual([]);
  });

  it('refuses when the membership changed after the review', async () => {
    const w = world();
    const reviewed = await reviewedLink(w.ctx(home));
    for (const m of w.machines.values()) {
      m.members = [1, 2];
    }
    const r = await runReviewed(w.ctx(home), reviewed);
    expect(!r.ok && r.error.code).toBe('ops.plan-stale');
    expect(!r.ok && r.error.message).toMatch(/membership.*1, 2, 3 then, 1, 2 now/);
    expect(w.writes).toEqual([]);
  });

  it('refuses a second operation on the cluster while the first holds its lock', async () => {
    const w = world();
    const reviewed = await reviewedLink(w.ctx(home));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: OpsContext = {
      ...w.ctx(home),
      connect: async (m) => {
        await gate;
        return w.ctx(home).connect(m);
      },
    };
    const first = runReviewed(slow, reviewed); // the app's run, waiting on its machines
    await new Promise((r) => setTimeout(r, 50));
    const second = await changeLink(w.ctx(home), {
      name: 'lab',
      link: 1,
      addresses: { node1: '198.18.10.1', node2: '198.18.10.2', node3: '198.18.10.3' },
    }); // the CLI's, started meanwhile
    expect(!second.ok && second.error.code).toBe('ops.locked');
    expect(!second.ok && second.error.message).toMatch(/lab is busy: "link1 \(lab\)" is running on it \(pid \d+/);
    release();
    await first;
  });
});
