/**
 * HA with Pacemaker on a 2-node cluster + QDevice (real corosync-qnetd on a third lab host): the
 * floating IP survives cutting either node. Stonith disabled with the typed consent (no watchdog here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventHub } from '../../../engine/api/event-hub';
import type { HaService } from '../../../engine/api/service-ha';
import { createHaService } from '../../../engine/api/service-ha';
import { setupQdevice } from '../../../engine/ops/operations';
import { labSupport, labUp, type Lab } from '../../lab/lab';
import { pacemakerSupport, pingFromRoot as pingOnce, stopPacemaker } from '../../lab/pacemaker';
import { labOps, waitQuorumOn, type LabOps } from '../ops/lab-ops';
import { createClusterForHa } from './ha-lab';
import { until } from './lab-service';

const support = labSupport();
const pcmk = await pacemakerSupport();
const skip = !support.ok ? support.reason : !pcmk.ok ? pcmk.reason : null;
if (skip) {
  console.warn(`HA + QDevice lab tests skipped: ${skip}`);
}

describe.skipIf(skip !== null)('HA with Pacemaker on 2 nodes + QDevice', () => {
  let lab: Lab;
  let ops: LabOps;
  let ha: HaService;
  let vip = '';
  let id = '';

  const runsOn = async (): Promise<string | null> => {
    const s = await ha.haStatus({ cluster: 'duo' });
    const r = s.ok ? s.value.resources.find((x) => x.id === id) : undefined;
    return r?.state === 'started' ? r.node : null;
  };

  /** Cut `node`, wait for the IP to answer from the other one, heal, wait until both are back. */
  const survivesCut = async (node: string): Promise<string> => {
    const index = Number(node.replace('node', ''));
    await lab.cut(index);
    try {
      await until(
        'the IP to answer from the other node',
        async () => ((await pingOnce(vip)) ? true : undefined),
        120_000,
      );
      const other = await until(
        'Pacemaker to report the IP on the other node',
        async () => {
          const n = await runsOn();
          return n && n !== node ? n : undefined;
        },
        60_000,
      );
      return other;
    } finally {
      await lab.heal(index);
      await waitQuorumOn(lab, index, (q) => q.quorate && q.members.length === 2, 90_000);
      await until(
        'both nodes online in Pacemaker',
        async () => {
          const s = await ha.haStatus({ cluster: 'duo' });
          return s.ok && s.value.nodes.every((n) => n.online) && s.value.dc ? true : undefined;
        },
        90_000,
      );
    }
  };

  beforeAll(async () => {
    lab = await labUp({ hosts: 3 });
    ops = labOps(lab);
    await createClusterForHa(ops, 'duo', [lab.host(1).address, lab.host(2).address]);
    const q = await setupQdevice(ops.ctx, { name: 'duo', host: lab.host(3).address });
    if (!q.ok) {
      throw new Error(JSON.stringify(q.error));
    }
    ha = createHaService({ home: ops.home, events: createEventHub(), now: Date.now, connect: ops.ctx.connect });
    vip = `198.18.${lab.id}.100`;
  }, 180_000);

  afterAll(async () => {
    await ha?.dispose();
    if (lab) {
      for (const h of lab.hosts) {
        await lab.heal(h.index).catch(() => {});
      }
      await stopPacemaker(lab, [1, 2]).catch(() => {});
      await lab.down();
    }
    ops?.cleanup();
  });

  it('enables Pacemaker beside the QDevice and runs a floating IP', async () => {
    const e = await ha.haEnable({ cluster: 'duo', noFencing: true, confirm: 'duo' });
    expect(e.ok ? e.value : e.error).toMatchObject({ engine: 'pacemaker', fencing: { enabled: false } });
    const a = await ha.haAdd({ cluster: 'duo', ip: `${vip}/24` });
    expect(a.ok ? a.value : a.error).toMatchObject({ kind: 'ip', state: 'started' });
    id = a.ok ? a.value.id : '';
    await until('the IP to answer', async () => ((await pingOnce(vip)) ? true : undefined), 20_000, 250);
  }, 300_000);

  it('the IP survives cutting the node that holds it, then cutting the other one', async () => {
    const first = await runsOn();
    expect(first).toMatch(/^node[12]$/);
    const second = await survivesCut(first as string);
    expect(second).not.toBe(first);
    const third = await survivesCut(second);
    expect(third).toBe(first);
    expect(await pingOnce(vip)).toBe(true);
  }, 600_000);
});
