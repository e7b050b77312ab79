/**
 * HA failover on real Pacemaker 2.1.5 over real corosync in a 3-node lab (stonith disabled with the
 * product's typed consent — no watchdog here). For one cut of the node holding a floating IP:
 * - cut → the IP answers ping again from the root namespace, as a ratio to Pacemaker's own failover
 *   for the same cut (cut → "Result of start operation for <ip> … ok" in the survivor's
 *   /var/log/pacemaker/pacemaker.log): Quorate adds nothing to the failover itself (≈ 1 = the ping's
 *   own resolution);
 * - Pacemaker's start of the IP on the survivor → Quorate's "moved" notice (target < 1 s).
 * The lab, the cluster and `ha enable` are not counted.
 */
import type { Notice } from '../../engine/api/contract';
import { createEventHub } from '../../engine/api/event-hub';
import { createHaService } from '../../engine/api/service-ha';
import { labSupport, labUp } from '../lab/lab';
import { pacemakerSupport, pingFromRoot as ping, stopPacemaker } from '../lab/pacemaker';
import { labOps } from '../engine/ops/lab-ops';
import { createClusterForHa } from '../engine/api/ha-lab';
import type { BenchFigure } from './run';

/** `Dec 01 11:17:39.857` (pacemaker.log, the host's local time = this machine's clock) → epoch ms. */
function logTime(stamp: string, year: number): number {
  return new Date(`${stamp.slice(0, 6)} ${year} ${stamp.slice(7)}`).getTime();
}

export default async function haBench(): Promise<BenchFigure[]> {
  const names = [
    'cut → floating IP answers again (3 nodes)',
    'Pacemaker’s own failover for the same cut (its log)',
    'cut → IP answers / Pacemaker’s failover',
    'Pacemaker starts the IP → Quorate’s notice',
  ];
  const units = ['s', 's', '×', 'ms'];
  const targets = ['', '', '≈ 1 (Quorate adds nothing)', '< 1000 ms'];
  const lab0 = labSupport();
  const pcmk = await pacemakerSupport();
  const why = !lab0.ok ? lab0.reason : !pcmk.ok ? pcmk.reason : null;
  if (why) {
    return names.map((name, i) => ({ name, value: Number.NaN, unit: units[i]!, target: targets[i]!, skipped: why }));
  }
  const lab = await labUp({ hosts: 3 });
  const ops = labOps(lab);
  const notices: { n: Notice; at: number }[] = [];
  const watcher = createHaService({
    home: ops.home,
    events: createEventHub(),
    now: Date.now,
    connect: ops.ctx.connect,
    watch: true,
    pollMs: 500,
    publish: (n) => void notices.push({ n, at: Date.now() }),
  });
  try {
    await createClusterForHa(
      ops,
      'bench',
      lab.hosts.map((h) => h.address),
    );
    const service = createHaService({
      home: ops.home,
      events: createEventHub(),
      now: Date.now,
      connect: ops.ctx.connect,
    });
    const enabled = await service.haEnable({ cluster: 'bench', noFencing: true, confirm: 'bench' });
    if (!enabled.ok) {
      throw new Error(`ha enable failed: ${JSON.stringify(enabled.error)}`);
    }
    const vip = `198.18.${lab.id}.100`;
    const added = await service.haAdd({ cluster: 'bench', ip: `${vip}/24` });
    await service.dispose();
    if (!added.ok || !added.value.node) {
      throw new Error(`ha add failed: ${JSON.stringify(added)}`);
    }
    const holder = added.value.node;
    await watcher.refresh();
    for (let i = 0; i < 60 && !(await ping(vip)); i++) {
      await new Promise((r) => setTimeout(r, 250));
    }
    // Let the watcher take its baseline before the cut.
    await new Promise((r) => setTimeout(r, 3000));
    const t0 = Date.now();
    await lab.cut(holder);
    let tPing = Number.NaN;
    for (let i = 0; i < 600; i++) {
      if (await ping(vip)) {
        tPing = Date.now();
        break;
      }
    }
    let moved: { n: Notice; at: number } | undefined;
    for (let i = 0; i < 100 && !moved; i++) {
      moved = notices.find((x) => x.n.kind === 'ha-resource-moved');
      await new Promise((r) => setTimeout(r, 100));
    }
    const to = moved?.n.node ?? '';
    const log = to ? (await lab.exec(to, 'cat /var/log/pacemaker/pacemaker.log')).stdout : '';
    const id = added.value.id;
    const year = new Date(t0).getFullYear();
    const started = log
      .split('\n')
      .filter((l) => l.includes(`Result of start operation for ${id} on ${to}: ok`))
      .map((l) => logTime(l.slice(0, 19), year))
      .filter((t) => t >= t0 - 1000);
    const tPcmk = started[0] ?? Number.NaN;
    await lab.heal(holder);
    return [
      { name: names[0]!, value: (tPing - t0) / 1000, unit: 's' },
      { name: names[1]!, value: (tPcmk - t0) / 1000, unit: 's' },
      { name: names[2]!, value: (tPing - t0) / (tPcmk - t0), unit: '×', target: targets[2]! },
      { name: names[3]!, value: moved ? moved.at - tPcmk : Number.NaN, unit: 'ms', target: targets[3]! },
    ];
  } finally {
    await watcher.dispose();
    await stopPacemaker(lab).catch(() => {});
    await lab.down();
    ops.cleanup();
  }
}
