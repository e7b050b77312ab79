/**
 * Maintenance mode and rolling updates through the API service on the lab: real sshd, the real
 * agent, real corosync, a 3-node cluster made by the product. Maintenance: refused when the rest
 * would be inquorate, typed confirmation when it could lose no further node, and the monitor says
 * "down for maintenance" instead of raising an alarm. Rolling: a restart of every node keeps the
 * cluster quorate throughout (corosync-quorumtool polled every second on every host) and ends with
 * every node back; a command failing on node 2 stops there (node 2 in maintenance, node 3
 * untouched) and the same request resumes; a second run at the same time is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuorateService } from '../../../engine/api/service';
import { parseQuorumtoolStatus } from '../../../engine/corosync/tool-quorumtool';
import type { Lab } from '../../lab/lab';
import { labSupport, labUp } from '../../lab/lab';
import { addTrustBootstrap, createLabCluster, openLabService, until, type LabService } from './lab-service';

const support = labSupport();
if (!support.ok) {
  console.log(`rolling lab test skipped: ${support.reason}`);
}

let lab: Lab;
let opened: LabService;
let service: QuorateService;
let names: string[] = [];
let notices: LabService['notices'];

/** Every host's own corosync view: members and quorate (null when corosync does not answer). */
async function views(): Promise<({ nodes: number; quorate: boolean } | null)[]> {
  return Promise.all(
    lab.hosts.map(async (_, i) => {
      const r = await lab.exec(i + 1, 'corosync-quorumtool -s', { timeoutMs: 5000 }).catch(() => null);
      const p = r ? parseQuorumtoolStatus(r.stdout) : null;
      return p?.ok ? { nodes: p.value.nodes, quorate: p.value.quorate } : null;
    }),
  );
}

async function allBack(): Promise<true | undefined> {
  const v = await views();
  return v.every((x) => x?.nodes === 3 && x.quorate) ? true : undefined;
}

describe.skipIf(!support.ok)('maintenance and rolling updates on the lab', () => {
  beforeAll(async () => {
    lab = await labUp({ hosts: 3 });
    opened = openLabService('rolling-lab');
    ({ service, notices } = opened);
    await addTrustBootstrap(service, lab.hosts);
    const status = await createLabCluster(service, lab, 'lab');
    names = status.nodes.map((n) => n.name);
  }, 300_000);

  afterAll(async () => {
    await opened?.dispose();
    await lab?.down();
  });

  it('what-if through the service answers from the live cluster', async () => {
    const r = await service.handlers.whatIf({ cluster: 'lab', down: [names[2]!] });
    expect(r.ok ? r.value.after : r.error).toEqual({
      quorate: true,
      votes: 2,
      expectedVotes: 3,
      quorum: 2,
      canLose: 0,
    });
    const bad = await service.handlers.whatIf({ cluster: 'lab', down: ['nosuchnode'] });
    expect(!bad.ok && bad.error.code).toBe('whatif.unknown-node');
  });

  it('maintenance: typed confirmation for the third node, refused for a second, and no alarm when it goes down', async () => {
    const h = service.handlers;
    const [, n2, n3] = names as [string, string, string];
    const plan = await h.setMaintenance({ cluster: 'lab', node: n3, enable: true, plan: true });
    expect(plan.ok && [plan.value.needsConfirm, plan.value.engine]).toEqual([true, 'corosync']);
    const refused = await h.setMaintenance({ cluster: 'lab', node: n3, enable: true });
    expect(!refused.ok && refused.error.code).toBe('maintenance.confirm-needed');
    const on = await h.setMaintenance({ cluster: 'lab', node: n3, enable: true, confirm: 'lab' });
    expect(on.ok ? on.value.inMaintenance : on.error).toBe(true);
    const second = await h.setMaintenance({ cluster: 'lab', node: n2, enable: true, confirm: 'lab' });
    expect(!second.ok && second.error.code).toBe('maintenance.would-lose-quorum');

    // The user takes node3 down: the monitor says so, and raises no "lost" alarm.
    const before = notices.length;
    await lab.exec(3, 'p=$(cat /run/quorate/corosync.pid 2>/dev/null); [ -n "$p" ] && kill -9 "$p"', {
      timeoutMs: 10_000,
    });
    const down = await until(
      'a notice for node3',
      async () => notices.slice(before).find((n) => n.node === n3),
      60_000,
    );
    expect([down.severity, down.title]).toEqual(['info', `lab: ${n3} is down for maintenance`]);
    // While it is down: no alarm (node3's own view right after its restart is the monitor's concern).
    expect(notices.slice(before).filter((n) => n.severity !== 'info')).toEqual([]);
    const s = await h.clusterStatus({ cluster: 'lab' });
    expect(s.ok && s.value.nodes.find((n) => n.name === n3)?.maintenance).toBe(true);
    await lab.exec(
      3,
      'rm -f /run/quorate/corosync.pid; setsid nohup corosync -f </dev/null >>/var/log/quorate/corosync.log 2>&1 & echo $! > /run/quorate/corosync.pid',
      { timeoutMs: 10_000 },
    );
    await until('node3 back', allBack, 60_000);
    const off = await h.setMaintenance({ cluster: 'lab', node: n3, enable: false });
    expect(off.ok && off.value.inMaintenance).toBe(false);
  });

  it('a rolling restart of the 3 nodes stays quorate throughout and ends with every node back', async () => {
    const samples: ({ nodes: number; quorate: boolean } | null)[][] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        samples.push(await views());
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const t0 = Date.now();
    const r = await service.handlers.rolling({ cluster: 'lab', run: 'true', restart: 'services' });
    watching = false;
    await watcher;
    console.log(`rolling restart of 3 nodes: ${Date.now() - t0} ms, ${samples.length} samples`);
    expect(r.ok ? [r.value.state, r.value.error] : r.error).toEqual(['done', null]);
    // Every second: some node is quorate, and no node that sees another member is inquorate.
    const bad = samples.filter(
      (v) => !v.some((x) => x?.quorate) || v.some((x) => x !== null && x.nodes >= 2 && !x.quorate),
    );
    expect(bad).toEqual([]);
    // And a restart did happen: at some sample a node was out of the membership.
    expect(samples.some((v) => v.some((x) => x === null || x.nodes < 3))).toBe(true);
    expect(await allBack()).toBe(true);
    const marks = await service.handlers.listMaintenance({ cluster: 'lab' });
    expect(marks.ok && marks.value).toEqual([]);
  }, 300_000);

  it('a command failing on node 2 stops there with node 2 in maintenance and node 3 untouched; the same run resumes', async () => {
    const h = service.handlers;
    for (let i = 1; i <= 3; i++) {
      await lab.exec(i, 'rm -f /tmp/quorate-ran /tmp/quorate-fail', { timeoutMs: 5000 });
    }
    await lab.exec(2, 'touch /tmp/quorate-fail', { timeoutMs: 5000 });
    const request = { cluster: 'lab', run: 'touch /tmp/quorate-ran && test ! -e /tmp/quorate-fail' } as const;
    const first = await h.rolling(request);
    expect(first.ok && first.value.state).toBe('failed');
    if (!first.ok) {
      return;
    }
    expect(first.value.steps.find((s) => s.state === 'failed')?.id).toBe(`command@${names[1]}`);
    expect(first.value.error?.hint).toContain('run the same rolling command again');
    const marks = await h.listMaintenance({ cluster: 'lab' });
    expect(marks.ok && marks.value.map((m) => [m.node, m.by])).toEqual([[names[1], 'rolling']]);
    expect(first.value.steps.filter((s) => s.node === names[2]).every((s) => s.state === 'pending')).toBe(true);
    const ran = async (i: number) =>
      (await lab.exec(i, 'test -e /tmp/quorate-ran', { timeoutMs: 5000 })).exitCode === 0;
    expect([await ran(1), await ran(2), await ran(3)]).toEqual([true, true, false]);

    // A different request waits until this one is done.
    const other = await h.rolling({ cluster: 'lab', run: 'echo other' });
    expect(!other.ok && other.error.code).toBe('rolling.unfinished');

    await lab.exec(2, 'rm -f /tmp/quorate-fail', { timeoutMs: 5000 });
    const again = await h.rolling(request);
    expect(again.ok ? [again.value.state, again.value.resumed] : again.error).toEqual(['done', true]);
    expect(await ran(3)).toBe(true);
    const after = await h.listMaintenance({ cluster: 'lab' });
    expect(after.ok && after.value).toEqual([]);
  }, 300_000);

  it('refuses a second rolling run on the same cluster while one runs', async () => {
    const h = service.handlers;
    const first = h.rolling({ cluster: 'lab', run: 'sleep 2' });
    await new Promise((r) => setTimeout(r, 300));
    const second = await h.rolling({ cluster: 'lab', run: 'sleep 2' });
    expect(!second.ok && second.error.code).toBe('ops.locked');
    const done = await first;
    expect(done.ok && done.value.state).toBe('done');
  }, 300_000);

  it('a rolling "reboot" (in the lab: corosync and the agent stopped and started) brings every node back', async () => {
    const agentPid = async (i: number) =>
      (await lab.exec(i, 'cat /run/quorate-agent/agent.pid', { timeoutMs: 5000 })).stdout.trim();
    const before = await Promise.all([1, 2, 3].map(agentPid));
    const r = await service.handlers.rolling({ cluster: 'lab', run: 'true', restart: 'reboot' });
    expect(r.ok ? [r.value.state, r.value.error] : r.error).toEqual(['done', null]);
    expect(await allBack()).toBe(true);
    const after = await until(
      'every agent running again',
      async () => {
        const pids = await Promise.all([1, 2, 3].map(agentPid));
        return pids.every((p) => /^\d+$/.test(p)) ? pids : undefined;
      },
      30_000,
    );
    expect(after.map((p, i) => p !== before[i])).toEqual([true, true, true]);
  }, 300_000);
});
