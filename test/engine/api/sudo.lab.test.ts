/**
 * A sudo-only user (no root login) builds clusters from both front doors, on real sshd and corosync:
 * from the window's API (over the RPC the renderer uses) and from the CLI. Both leave the same
 * root-owned files (authkey 0400) on every node, the window's status of either cluster is live
 * (the agent's root-only socket reached through sudo), and join and remove work from both.
 * One lab of four hosts: the window's cluster is taken down before the CLI builds its own. Joins
 * measure pre-flight latency again; on a loaded machine they can be refused (see `measuredAgain`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../../engine/api/contract';
import { stopServiceScript } from '../../../engine/ops/scripts';
import { memorySecrets } from '../../../engine/store';
import type { Lab } from '../../lab/lab';
import { labSupport, labUp } from '../../lab/lab';
import { addToQuorate } from '../bootstrap/lab-sessions';
import type { Window } from './front-doors';
import { cli, openWindow, until } from './front-doors';

const support = labSupport();
if (!support.ok) {
  console.log(`sudo-user front doors lab test skipped: ${support.reason}`);
}

const FILES = '/etc/corosync/authkey /etc/corosync/corosync.conf';
const EXPECTED_FILES = ['/etc/corosync/authkey root:root 400', '/etc/corosync/corosync.conf root:root 644'];

let lab: Lab;
let dir: string;
const secrets = memorySecrets();
const windows: Window[] = [];

/** The CLI's state folder and secrets (its own, beside the window's). */
const cliDeps = () => ({ home: join(dir, 'cli'), secrets, timeoutMs: 15_000 });

async function filesOn(i: number): Promise<string[]> {
  return (await lab.exec(i, `stat -c '%n %U:%G %a' ${FILES}`)).stdout.trim().split('\n');
}

/**
 * The window's status once it shows `online` nodes, all quorate, from the agents' streams: link
 * health comes only from them (the one-shot read the window opens on measures no links).
 */
async function liveStatus(w: Window, cluster: string, online: number): Promise<ClusterStatus> {
  return until(
    `${cluster} quorate with ${online} nodes online in the window`,
    async () => {
      const s = await w.api.clusterStatus({ cluster });
      return s.ok &&
        s.value.state === 'quorate' &&
        s.value.links.length > 0 &&
        s.value.nodes.filter((n) => n.online).length === online
        ? s.value
        : undefined;
    },
    60_000,
  );
}

/**
 * Pre-flight measures real latency: with other labs busy on this 2-core machine a pair can read
 * above corosync's 5 ms bound for a moment. Such a refusal (latency only) is measured again, up to 8 times (CI runs labs one at a time: there the first attempt passes).
 */
async function measuredAgain<T extends { ok: boolean }>(
  attempt: () => Promise<T>,
  refusedForLatency: (r: T) => boolean,
): Promise<T> {
  let r = await attempt();
  for (let i = 0; i < 8 && refusedForLatency(r); i++) {
    await new Promise((done) => setTimeout(done, 3_000));
    r = await attempt();
  }
  return r;
}

const latencyOnly = (e: { code: string; message: string } | undefined): boolean =>
  e?.code === 'preflight.failed' && e.message.split('; ').every((part) => /latency|jitter/.test(part));

type Planned = Awaited<ReturnType<Window['api']['planJoinCluster']>>;

/** Plans and runs from the window (measured again when only latency refused it); true, or the error. */
async function runFromWindow(w: Window, plan: () => Promise<Planned>) {
  const outcome = async () => {
    const planned = await plan();
    if (!planned.ok) {
      return { ok: false, error: planned.error };
    }
    const run = await w.api.runPlan({ planId: planned.value.id });
    return run.ok ? { ok: run.value.ok, error: run.value.error ?? undefined } : { ok: false, error: run.error };
  };
  const r = await measuredAgain(outcome, (x) => !x.ok && latencyOnly(x.error));
  return r.ok ? true : r.error;
}

describe.skipIf(!support.ok)('a sudo-only user, from the window and from the CLI', () => {
  beforeAll(async () => {
    lab = await labUp({ hosts: 4, sudoUser: [1, 2, 3, 4] });
    dir = mkdtempSync(join(tmpdir(), 'quorate-sudo-doors-'));
  });
  afterAll(async () => {
    for (const w of windows) {
      await w.dispose();
    }
    await lab?.down();
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates from the window: root-owned files on every node, a live status', async () => {
    const w = openWindow({ home: join(dir, 'window'), secrets, sshTimeoutMs: 15_000 });
    windows.push(w);
    for (const h of lab.hosts) {
      await addToQuorate(w.api, h, 'sudo');
    }
    const machines = await w.api.listMachines();
    expect(machines.ok && machines.value.map((m) => [m.user, m.trusted])).toEqual(lab.hosts.map(() => ['admin', true]));
    const network = `198.18.${lab.id}.0/24`;
    const three = lab.hosts.slice(0, 3).map((h) => ({ address: h.address }));
    expect(
      await runFromWindow(w, () =>
        w.api.planCreateCluster({ name: 'win', nodes: three, links: [{ linknumber: 0, network }] }),
      ),
    ).toBe(true);
    for (const i of [1, 2, 3]) {
      expect(await filesOn(i)).toEqual(EXPECTED_FILES);
    }
    const status = await liveStatus(w, 'win', 3);
    expect(status).toMatchObject({ state: 'quorate', expectedVotes: 3, quorum: 2 });
  });

  it('joins and removes a node from the window', async () => {
    const w = windows[0]!;

    expect(
      await runFromWindow(w, () => w.api.planJoinCluster({ cluster: 'win', addresses: [lab.host(4).address] })),
    ).toBe(true);
    expect(await filesOn(4)).toEqual(EXPECTED_FILES);
    await liveStatus(w, 'win', 4);

    expect((await lab.exec(4, stopServiceScript('corosync'))).exitCode).toBe(0);
    expect(await runFromWindow(w, () => w.api.planRemoveNode({ cluster: 'win', node: 'node4', force: false }))).toBe(
      true,
    );
    const after = await until(
      'win without node4',
      async () => {
        const s = await w.api.clusterStatus({ cluster: 'win' });
        return s.ok && s.value.nodes.length === 3 ? s.value : undefined;
      },
      30_000,
    );
    expect(after.nodes.map((n) => n.name)).toEqual(['node1', 'node2', 'node3']);
  });

  it('creates from the CLI, leaving the same files, live in the window', async () => {
    // Take the window's cluster down by hand, so the CLI starts from clean machines.
    for (const w of windows.splice(0)) {
      await w.dispose();
    }
    for (const i of [1, 2, 3, 4]) {
      await lab.exec(i, stopServiceScript('corosync'));
      await lab.exec(i, 'rm -f /etc/corosync/corosync.conf /etc/corosync/authkey /etc/corosync/corosync.conf.*');
    }
    const deps = cliDeps();
    for (const h of lab.hosts) {
      const added = await cli(
        deps,
        ['hosts', 'add', `admin@${h.address}`, '--password-stdin', '--json'],
        `${h.sudoUser!.password}\n`,
      );
      expect(added.code).toBe(0);
      const { fingerprint } = added.json as { fingerprint: string };
      expect((await cli(deps, ['hosts', 'trust', h.address, '--fingerprint', fingerprint, '--json'])).code).toBe(0);
    }
    const nodes = lab.hosts.slice(0, 3).flatMap((h) => ['--node', h.address]);
    const created = await measuredAgain(
      async () => {
        const r = await cli(deps, ['create', 'cli', ...nodes, '--json']);
        return { ...r, ok: r.code === 0 };
      },
      (r) => latencyOnly((r.json as { error?: { code: string; message: string } }).error),
    );
    expect([created.code, created.json]).toMatchObject([0, { ok: true, verified: true }]);
    for (const i of [1, 2, 3]) {
      expect(await filesOn(i)).toEqual(EXPECTED_FILES);
    }
    const status = await cli(deps, ['status', 'cli', '--json']);
    expect(status.json).toMatchObject({ quorate: true, expectedVotes: 3 });
    expect((status.json as { nodes: { online: boolean }[] }).nodes.map((n) => n.online)).toEqual([true, true, true]);

    const w = openWindow({ home: deps.home, secrets, sshTimeoutMs: 15_000 });
    windows.push(w);
    expect(await liveStatus(w, 'cli', 3)).toMatchObject({ state: 'quorate' });
  });

  it('joins and removes a node from the CLI', async () => {
    const deps = cliDeps();

    const joined = await measuredAgain(
      async () => {
        const r = await cli(deps, ['join', 'cli', '--node', lab.host(4).address, '--json']);
        return { ...r, ok: r.code === 0 };
      },
      (r) => latencyOnly((r.json as { error?: { code: string; message: string } }).error),
    );
    expect([joined.code, joined.json, joined.stderr]).toMatchObject([
      0,
      { ok: true, verified: true },
      expect.any(String),
    ]);
    expect(await filesOn(4)).toEqual(EXPECTED_FILES);
    expect((await lab.exec(4, stopServiceScript('corosync'))).exitCode).toBe(0);
    const removed = await cli(deps, ['remove', 'cli', '--node', 'node4', '--json']);
    expect([removed.code, removed.json]).toMatchObject([0, { ok: true, verified: true }]);
    const after = await cli(deps, ['status', 'cli', '--json']);
    expect((after.json as { nodes: { name: string }[] }).nodes.map((n) => n.name)).toEqual(['node1', 'node2', 'node3']);
  });
});
