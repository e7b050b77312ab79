/**
 * HA with real Pacemaker 2.1.5 over real corosync, through real SSH, in a 3-node lab: the CLI
 * (`quorate ha …`, fixed JSON shapes) and the HA service's notices. Fencing is disabled with the
 * product's typed consent (`--no-fencing --confirm NAME`): no watchdog, no sbd — a watchdog here
 * would reset the whole machine. Every bad input of issue 13 is tried on the same lab.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notice } from '../../../engine/api/contract';
import { createEventHub } from '../../../engine/api/event-hub';
import type { HaService } from '../../../engine/api/service-ha';
import { createHaService } from '../../../engine/api/service-ha';
import { runHaCommand } from '../../../engine/cli/ha-commands';
import { clearMark, setMark } from '../../../engine/ops/maintenance-marks.fs';
import { labSupport, labUp, type Lab } from '../../lab/lab';
import { pacemakerSupport, pingFromRoot as pingOnce, stopPacemaker } from '../../lab/pacemaker';
import { labOps, type LabOps } from '../ops/lab-ops';
import { createClusterForHa } from './ha-lab';
import { until } from './lab-service';

const support = labSupport();
const pcmk = await pacemakerSupport();
const skip = !support.ok ? support.reason : !pcmk.ok ? pcmk.reason : null;
if (skip) {
  console.warn(`HA lab tests skipped: ${skip}`);
}

describe.skipIf(skip !== null)('HA with Pacemaker on a 3-node lab cluster', () => {
  let lab: Lab;
  let ops: LabOps;
  let watcher: HaService;
  const notices: Notice[] = [];
  let vip = '';
  let holder = '';

  /** `quorate ha …` in-process, through the same service the app uses (SSH to the lab hosts). */
  const ha = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let errText = '';
    const io = {
      stdout: (t: string) => void (out += t),
      stderr: (t: string) => void (errText += t),
      readStdin: async () => '',
    };
    const service = createHaService({
      home: ops.home,
      events: createEventHub(),
      now: Date.now,
      connect: ops.ctx.connect,
    });
    const code = await runHaCommand(args, io, { handlers: service }).finally(() => service.dispose());
    return { code, out, err: errText };
  };
  const haJson = async (...args: string[]): Promise<{ code: number; json: Record<string, unknown> }> => {
    const r = await ha(...args, '--json');
    try {
      return { code: r.code, json: JSON.parse(r.out) as Record<string, unknown> };
    } catch {
      throw new Error(`not JSON (exit ${r.code}): ${r.out}\n${r.err}`);
    }
  };
  const errorCode = (j: Record<string, unknown>): unknown => (j.error as { code?: unknown } | undefined)?.code;
  const whereIs = async (id: string): Promise<string | null> => {
    const s = await haJson('status', 'hac');
    const r = (s.json.resources as { id: string; state: string; node: string | null }[]).find((x) => x.id === id);
    return r?.state === 'started' ? r.node : null;
  };

  beforeAll(async () => {
    lab = await labUp({ hosts: 3 });
    ops = labOps(lab);
    await createClusterForHa(
      ops,
      'hac',
      lab.hosts.map((h) => h.address),
    );
    vip = `198.18.${lab.id}.100`;
  }, 120_000);

  afterAll(async () => {
    await watcher?.dispose();
    if (lab) {
      for (const h of lab.hosts) {
        await lab.heal(h.index).catch(() => {});
      }
      await stopPacemaker(lab).catch(() => {});
      await lab.down();
    }
    ops?.cleanup();
  });

  it('status before enable: no engine, no resources (fixed shape)', async () => {
    const r = await haJson('status', 'hac');
    expect(r).toEqual({ code: 0, json: { engine: null, resources: [] } });
  });

  it('refuses to enable without fencing consent, and with a wrong confirmation, changing nothing', async () => {
    const r = await haJson('enable', 'hac');
    expect(r.code).toBe(1);
    expect(errorCode(r.json)).toBe('ha.fencing-required');
    expect(JSON.stringify(r.json)).toMatch(/cannot recover safely from a split/);
    expect(JSON.stringify(r.json)).toMatch(/sbd/);
    const wrong = await haJson('enable', 'hac', '--no-fencing', '--confirm', 'hax');
    expect(errorCode(wrong.json)).toBe('ha.confirm-mismatch');
    expect((await lab.exec(1, 'test -f /run/quorate/pacemaker.pid && echo yes || echo no')).stdout.trim()).toBe('no');
  });

  it('refuses a node without the packages and without apt, naming it', async () => {
    // Hidden in node3's own mount namespace only (the machine keeps its files).
    await lab.exec(3, 'mount --bind /dev/null /usr/sbin/pacemakerd && mount --bind /dev/null /usr/bin/apt-get');
    try {
      const r = await haJson('enable', 'hac', '--no-fencing', '--confirm', 'hac');
      expect(errorCode(r.json)).toBe('ha.packages-missing');
      expect(JSON.stringify(r.json)).toMatch(/node3 lacks pacemakerd/);
    } finally {
      await lab.exec(3, 'umount /usr/sbin/pacemakerd; umount /usr/bin/apt-get');
    }
  });

  it('enables Pacemaker with typed no-fencing consent: one DC, properties explained; again is idempotent', async () => {
    const r = await haJson('enable', 'hac', '--no-fencing', '--confirm', 'hac');
    expect(r.code, JSON.stringify(r.json)).toBe(0);
    expect(r.json).toMatchObject({ ok: true, engine: 'pacemaker', alreadyEnabled: false, fencing: false });
    expect(['node1', 'node2', 'node3']).toContain(r.json.dc);
    expect((r.json.started as string[]).sort()).toEqual(['node1', 'node2', 'node3']);
    expect((r.json.properties as string[]).join('\n')).toMatch(/stonith-enabled=false.*consent/);
    // pacemakerd runs under the product's supervisor path (no systemd in the hosts), not the lab's.
    for (const h of [1, 2, 3]) {
      const pid = (await lab.exec(h, 'cat /run/quorate/pacemaker.pid')).stdout.trim();
      expect((await lab.exec(h, `tr '\\0' ' ' < /proc/${pid}/cmdline`)).stdout).toMatch(/^pacemakerd/);
      expect((await lab.exec(h, 'crm_attribute --type crm_config --name stonith-enabled --query')).stdout).toMatch(
        /value=false/,
      );
    }
    const again = await haJson('enable', 'hac', '--no-fencing', '--confirm', 'hac');
    expect(again.json).toMatchObject({ ok: true, alreadyEnabled: true, started: [], installed: [] });
    expect((again.json.notes as string[]).join(' ')).toMatch(/already enabled/);
  }, 300_000);

  it('refuses floating IPs outside every subnet or already in use, and units that do not exist', async () => {
    const outside = await haJson('add', 'hac', '--ip', '198.19.200.100/24');
    expect(errorCode(outside.json)).toBe('ha.ip-outside-subnets');
    // The lab's root namespace holds .254: it answers the probe.
    const used = await haJson('add', 'hac', '--ip', `198.18.${lab.id}.254/24`);
    expect(errorCode(used.json)).toBe('ha.ip-in-use');
    expect(JSON.stringify(used.json)).toMatch(/already in use on the network/);
    const own = await haJson('add', 'hac', '--ip', `${lab.host(2).address}/24`);
    expect(errorCode(own.json)).toBe('ha.ip-in-use');
    const unit = await haJson('add', 'hac', '--service', 'quorate-no-such.service');
    expect(errorCode(unit.json)).toBe('ha.unit-missing');
    expect(JSON.stringify(unit.json)).toMatch(/node1, node2, node3/);
    const neither = await haJson('add', 'hac');
    expect(errorCode(neither.json)).toBe('ha.bad-resource');
    expect((await haJson('status', 'hac')).json.resources).toEqual([]);
  });

  it('adds a floating IP that answers ping from the root namespace, and moves it to node1', async () => {
    expect(await pingOnce(vip)).toBe(false);
    const r = await haJson('add', 'hac', '--ip', `${vip}/24`);
    expect(r.code, JSON.stringify(r.json)).toBe(0);
    expect(r.json).toMatchObject({ ok: true, id: `ip-${vip}`, kind: 'ip', state: 'started', with: null });
    if (r.json.node !== 'node1') {
      const m = await haJson('move', 'hac', `ip-${vip}`, '--to', 'node1');
      expect(m.json).toMatchObject({ ok: true, node: 'node1', state: 'started' });
    }
    expect(await whereIs(`ip-${vip}`)).toBe('node1');
    await until('the floating IP to answer', async () => ((await pingOnce(vip)) ? true : undefined), 20_000, 250);
    const status = await haJson('status', 'hac');
    expect(Object.keys(status.json).sort()).toEqual(['engine', 'resources']);
    expect(status.json).toEqual({
      engine: 'pacemaker',
      resources: [{ id: `ip-${vip}`, state: 'started', node: 'node1' }],
    });
    expect(Object.keys((status.json.resources as object[])[0]!).sort()).toEqual(['id', 'node', 'state']);
    const dup = await haJson('add', 'hac', '--ip', `198.18.${lab.id}.101/24`, '--id', `ip-${vip}`);
    expect(errorCode(dup.json)).toBe('ha.resource-exists');
    // --with: a second address that runs where the first runs (colocation + ordering).
    const follower = await haJson('add', 'hac', '--ip', `198.18.${lab.id}.101/24`, '--with', `ip-${vip}`);
    expect(follower.json).toMatchObject({ ok: true, id: `ip-198.18.${lab.id}.101`, node: 'node1', with: `ip-${vip}` });
    const cons = (await lab.exec(1, 'cibadmin --query --scope constraints')).stdout;
    expect(cons).toContain(`rsc="ip-198.18.${lab.id}.101" with-rsc="ip-${vip}" score="INFINITY"`);
    expect(cons).toContain(`first="ip-${vip}" then="ip-198.18.${lab.id}.101"`);
  }, 120_000);

  it('refuses a move to a node in maintenance, to an unknown node, and of an unknown resource', async () => {
    await lab.exec(1, 'crm_attribute --type nodes --node node3 --name maintenance --update on');
    try {
      const m = await haJson('move', 'hac', `ip-${vip}`, '--to', 'node3');
      expect(errorCode(m.json)).toBe('ha.node-unavailable');
      expect(JSON.stringify(m.json)).toMatch(/in maintenance/);
    } finally {
      await lab.exec(1, 'crm_attribute --type nodes --node node3 --name maintenance --delete');
    }
    // Quorate's own maintenance mode (the maintenance service's mark) counts too.
    await setMark(ops.home, 'hac', { node: 'node2', since: Date.now(), by: 'maintenance', engine: 'pacemaker' });
    try {
      const m = await haJson('move', 'hac', `ip-${vip}`, '--to', 'node2');
      expect(errorCode(m.json)).toBe('ha.node-unavailable');
      expect(errorCode((await haJson('unstandby', 'hac', '--node', 'node2')).json)).toBe('ha.node-in-maintenance');
    } finally {
      await clearMark(ops.home, 'hac', 'node2');
    }
    expect(errorCode((await haJson('move', 'hac', `ip-${vip}`, '--to', 'node9')).json)).toBe('ha.node-unavailable');
    expect(errorCode((await haJson('remove', 'hac', 'nothing-here')).json)).toBe('ha.unknown-resource');
    expect(await whereIs(`ip-${vip}`)).toBe('node1');
  });

  it('cut node1: the IP answers again from a survivor, and the notice names both nodes', async () => {
    watcher = createHaService({
      home: ops.home,
      events: createEventHub(),
      now: Date.now,
      connect: ops.ctx.connect,
      watch: true,
      pollMs: 500,
      publish: (n) => void notices.push(n),
    });
    await watcher.refresh();
    await until(
      'the watcher to see the IP on node1',
      async () => {
        const s = await watcher.haStatus({ cluster: 'hac' });
        return s.ok && s.value.resources.some((r) => r.node === 'node1') ? true : undefined;
      },
      30_000,
    );
    // The watcher's first read is its baseline: only "fencing disabled" is news then, once.
    await until(
      'the fencing-disabled notice',
      async () => notices.find((n) => n.kind === 'ha-fencing-disabled'),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(notices.filter((n) => n.kind === 'ha-fencing-disabled')).toHaveLength(1);
    expect(notices.filter((n) => n.kind === 'ha-resource-moved')).toEqual([]);
    await lab.cut(1);
    await until(
      'the floating IP to answer from a survivor',
      async () => ((await pingOnce(vip)) ? true : undefined),
      90_000,
    );
    const moved = await until(
      'the moved notice',
      async () => notices.find((n) => n.kind === 'ha-resource-moved'),
      30_000,
    );
    holder = moved.node ?? '';
    expect(['node2', 'node3']).toContain(holder);
    expect(moved.title).toContain('node1');
    expect(moved.title).toContain(holder);
    expect(moved.body).toMatch(/node1 left the cluster/);
    // The IP is on the survivor for real.
    const idx = Number(holder.replace('node', ''));
    expect((await lab.exec(idx, `ip -4 -o addr show | grep -c ' ${vip}/'`)).stdout.trim()).toBe('1');
  }, 180_000);

  it('heal node1: nothing flaps (the IP stays, no new move notice)', async () => {
    await lab.heal(1);
    await until(
      'node1 back online in Pacemaker',
      async () => {
        const s = await watcher.haStatus({ cluster: 'hac' });
        return s.ok && s.value.nodes.find((n) => n.name === 'node1')?.online && s.value.dc ? true : undefined;
      },
      90_000,
    );
    const before = notices.filter((n) => n.kind === 'ha-resource-moved').length;
    await new Promise((r) => setTimeout(r, 15_000));
    expect(notices.filter((n) => n.kind === 'ha-resource-moved').length).toBe(before);
    expect(await whereIs(`ip-${vip}`)).toBe(holder);
    expect(await pingOnce(vip)).toBe(true);
  }, 150_000);

  it('standby of the node holding it moves it too (notice says standby); unstandby keeps it where it is', async () => {
    const before = notices.length;
    const r = await haJson('standby', 'hac', '--node', holder);
    expect(r.code, JSON.stringify(r.json)).toBe(0);
    const res = (r.json.resources as { id: string; node: string | null }[]).find((x) => x.id === `ip-${vip}`);
    expect(res?.node).not.toBe(holder);
    expect(res?.node).toMatch(/^node[123]$/);
    const n = await until(
      'the standby notice',
      async () => notices.slice(before).find((x) => x.kind === 'ha-resource-moved'),
      10_000,
    );
    expect(n.body).toMatch(new RegExp(`${holder} was put in standby`));
    await until('the IP to answer after standby', async () => ((await pingOnce(vip)) ? true : undefined), 20_000, 250);
    const back = await haJson('unstandby', 'hac', '--node', holder);
    expect(back.json).toMatchObject({ ok: true, standby: false });
    expect(await whereIs(`ip-${vip}`)).toBe(res?.node);
  }, 120_000);

  it('ha set maps requested states to target-role / is-managed; disabled is refused (issue 14)', async () => {
    const id = `ip-${vip}`;
    const stop = await haJson('set', 'hac', id, '--state', 'stopped');
    expect(stop.json, JSON.stringify(stop.json)).toMatchObject({ ok: true, requested: 'stopped', state: 'stopped' });
    await until('the IP to stop answering', async () => ((await pingOnce(vip)) ? undefined : true), 15_000, 250);
    const start = await haJson('set', 'hac', id, '--state', 'started');
    expect(start.json).toMatchObject({ ok: true, requested: 'started', state: 'started' });
    const ign = await haJson('set', 'hac', id, '--state', 'ignored');
    expect(ign.json).toMatchObject({ ok: true, state: 'unmanaged' });
    expect((await lab.exec(1, `crm_resource --resource ${id} --meta --get-parameter is-managed`)).stdout).toMatch(
      /false/,
    );
    expect((await haJson('set', 'hac', id, '--state', 'started')).json).toMatchObject({ ok: true, state: 'started' });
    expect(errorCode((await haJson('set', 'hac', id, '--state', 'disabled')).json)).toBe('ha.state-not-supported');
    await until('the IP to answer again', async () => ((await pingOnce(vip)) ? true : undefined), 20_000, 250);
  }, 120_000);

  it('the follower followed every move; removing both leaves nothing (constraints included)', async () => {
    expect(await whereIs(`ip-198.18.${lab.id}.101`)).toBe(await whereIs(`ip-${vip}`));
    const f = await haJson('remove', 'hac', `ip-198.18.${lab.id}.101`);
    expect(f.json).toEqual({ ok: true, id: `ip-198.18.${lab.id}.101` });
    expect((await lab.exec(1, 'cibadmin --query --scope constraints')).stdout).not.toMatch(/rsc_colocation|rsc_order/);
    const r = await haJson('remove', 'hac', `ip-${vip}`);
    expect(r.json).toEqual({ ok: true, id: `ip-${vip}` });
    expect((await haJson('status', 'hac')).json).toEqual({ engine: 'pacemaker', resources: [] });
    await until('the IP to stop answering', async () => ((await pingOnce(vip)) ? undefined : true), 15_000, 250);
  }, 60_000);

  it('refuses HA changes on a cluster without quorum', async () => {
    await watcher.dispose();
    await lab.cut(2);
    await lab.cut(3);
    try {
      await until(
        'node1 inquorate',
        async () =>
          (await lab.exec(1, 'corosync-quorumtool -s', { timeoutMs: 10_000 })).exitCode === 2 ? true : undefined,
        60_000,
      );
      const r = await haJson('add', 'hac', '--ip', `198.18.${lab.id}.102/24`);
      expect(errorCode(r.json)).toBe('ha.no-quorum');
    } finally {
      await lab.heal(2);
      await lab.heal(3);
    }
  }, 120_000);
});
