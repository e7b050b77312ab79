import { describe, expect, it } from 'vitest';
import { haNoticeOver } from '../../../engine/ha/notice-over';
import { diffPveHa, type PveHaEvent, type PveHaMemory } from '../../../engine/ha/pve-events';
import { migrationNoticeText, pveHaNoticeText } from '../../../engine/ha/pve-notices';
import { parseHaManagerStatus, toHaStatus } from '../../../engine/ha/pve-status';
import type { HaStatus } from '../../../engine/ha/types';

const WHEN = 'Tue Dec  1 14:00:00 2026';

/** `ha-manager status` as pve-ha-manager prints it: lrm modes per node, then `sid (node, state)`. */
function haManager(o: {
  quorum?: string;
  master?: string;
  lrm: Record<string, string>;
  services: Record<string, [string, string]>;
}): string {
  const lines = [`quorum ${o.quorum ?? 'OK'}`];
  if (o.master !== undefined) {
    lines.push(`master ${o.master} (active, ${WHEN})`);
  }
  for (const [node, mode] of Object.entries(o.lrm)) {
    lines.push(`lrm ${node} (${mode}, ${WHEN})`);
  }
  for (const [sid, [node, state]] of Object.entries(o.services)) {
    lines.push(`service ${sid} (${node}, ${state})`);
  }
  return `${lines.join('\n')}\n`;
}

function status(text: string): HaStatus {
  const p = parseHaManagerStatus(text);
  if (!p.ok) {
    throw new Error(p.error.message);
  }
  return toHaStatus(p.value);
}

/** Feeds the reads in order; returns the events of each read. */
function replay(reads: readonly string[]): PveHaEvent[][] {
  let memory: PveHaMemory | null = null;
  return reads.map((text) => {
    const d = diffPveHa(memory, status(text));
    memory = d.memory;
    return d.events;
  });
}

const ALIVE = { node1: 'active', node2: 'active', node3: 'idle' };
const NODE1_DEAD = { node1: 'old timestamp - dead?', node2: 'active', node3: 'active' };
const healthy = haManager({
  master: 'node2',
  lrm: ALIVE,
  services: { 'vm:100': ['node1', 'started'], 'vm:101': ['node1', 'started'], 'ct:200': ['node2', 'started'] },
});

describe('Proxmox HA news from successive ha-manager status reads', () => {
  it('a cut node: one "waiting to be fenced" naming both guests, then each "recovered on" its new node', () => {
    const events = replay([
      healthy,
      // The CRM has not noticed yet: the LRM's timestamp is old, the services still say started.
      haManager({
        master: 'node2',
        lrm: NODE1_DEAD,
        services: { 'vm:100': ['node1', 'started'], 'vm:101': ['node1', 'started'], 'ct:200': ['node2', 'started'] },
      }),
      haManager({
        master: 'node2',
        lrm: NODE1_DEAD,
        services: { 'vm:100': ['node1', 'fence'], 'vm:101': ['node1', 'fence'], 'ct:200': ['node2', 'started'] },
      }),
      haManager({
        master: 'node2',
        lrm: NODE1_DEAD,
        services: { 'vm:100': ['node1', 'fence'], 'vm:101': ['node1', 'fence'], 'ct:200': ['node2', 'started'] },
      }),
      haManager({
        master: 'node2',
        lrm: NODE1_DEAD,
        services: { 'vm:100': ['node3', 'recovery'], 'vm:101': ['node2', 'started'], 'ct:200': ['node2', 'started'] },
      }),
      haManager({
        master: 'node2',
        lrm: NODE1_DEAD,
        services: { 'vm:100': ['node3', 'started'], 'vm:101': ['node2', 'started'], 'ct:200': ['node2', 'started'] },
      }),
      haManager({
        master: 'node2',
        lrm: NODE1_DEAD,
        services: { 'vm:100': ['node3', 'started'], 'vm:101': ['node2', 'started'], 'ct:200': ['node2', 'started'] },
      }),
      // node1 is back: its LRM is idle, the guests stay where they were recovered.
      haManager({
        master: 'node2',
        lrm: { node1: 'idle', node2: 'active', node3: 'active' },
        services: { 'vm:100': ['node3', 'started'], 'vm:101': ['node2', 'started'], 'ct:200': ['node2', 'started'] },
      }),
    ]);
    expect(events).toEqual([
      [],
      [],
      [{ kind: 'fencing-pending', node: 'node1', sids: ['vm:100', 'vm:101'] }],
      [],
      [{ kind: 'recovered', sid: 'vm:101', from: 'node1', to: 'node2' }],
      [{ kind: 'recovered', sid: 'vm:100', from: 'node1', to: 'node3' }],
      [],
      [],
    ]);
  });

  it('a recovery whose fence and recovery states fell between two reads still says recovered', () => {
    const events = replay([
      healthy,
      haManager({
        master: 'node2',
        lrm: NODE1_DEAD,
        services: { 'vm:100': ['node3', 'started'], 'vm:101': ['node1', 'started'], 'ct:200': ['node2', 'started'] },
      }),
    ]);
    expect(events[1]).toEqual([{ kind: 'recovered', sid: 'vm:100', from: 'node1', to: 'node3' }]);
  });

  it('a migration (migrate / relocate, or off a live node) is not news: Quorate reports its own migrations', () => {
    const events = replay([
      healthy,
      haManager({
        master: 'node2',
        lrm: ALIVE,
        services: { 'vm:100': ['node1', 'migrate'], 'vm:101': ['node1', 'started'], 'ct:200': ['node2', 'relocate'] },
      }),
      haManager({
        master: 'node2',
        lrm: ALIVE,
        services: { 'vm:100': ['node2', 'started'], 'vm:101': ['node3', 'started'], 'ct:200': ['node3', 'started'] },
      }),
    ]);
    expect(events.flat()).toEqual([]);
  });

  it('error: once per entry into the state, and again after it was cleared and failed anew', () => {
    const svc = (state: string) =>
      haManager({
        master: 'node2',
        lrm: ALIVE,
        services: { 'vm:100': ['node1', state], 'ct:200': ['node2', 'started'] },
      });
    const events = replay([
      svc('started'),
      svc('error'),
      svc('error'),
      svc('disabled'),
      svc('request_start'),
      svc('started'),
      svc('error'),
    ]);
    expect(events).toEqual([
      [],
      [{ kind: 'error', sid: 'vm:100', node: 'node1' }],
      [],
      [],
      [],
      [],
      [{ kind: 'error', sid: 'vm:100', node: 'node1' }],
    ]);
  });

  it('the first read is only the baseline, and a read from a node without quorum is ignored', () => {
    const inquorate = haManager({
      quorum: "No quorum on node 'node1'!",
      lrm: { node1: 'active', node2: 'old timestamp - dead?', node3: 'old timestamp - dead?' },
      services: { 'vm:100': ['node1', 'started'], 'vm:101': ['node1', 'started'], 'ct:200': ['node2', 'fence'] },
    });
    const events = replay([
      haManager({
        master: 'node2',
        lrm: ALIVE,
        services: { 'vm:100': ['node1', 'error'], 'ct:200': ['node1', 'fence'] },
      }),
      inquorate,
      haManager({
        master: 'node2',
        lrm: ALIVE,
        services: { 'vm:100': ['node1', 'error'], 'ct:200': ['node1', 'fence'] },
      }),
    ]);
    expect(events).toEqual([[], [], []]);
    expect(diffPveHa(null, status(inquorate))).toEqual({ memory: null, events: [] });
  });

  it('a guest removed from HA and added again starts from scratch', () => {
    const events = replay([
      healthy,
      haManager({ master: 'node2', lrm: ALIVE, services: { 'ct:200': ['node2', 'started'] } }),
      haManager({
        master: 'node2',
        lrm: NODE1_DEAD,
        services: { 'vm:100': ['node3', 'started'], 'ct:200': ['node2', 'started'] },
      }),
    ]);
    expect(events.flat()).toEqual([]);
  });
});

describe('Proxmox HA and migration notices in words', () => {
  it('says "recovered on <node>", why, and what to check', () => {
    const t = pveHaNoticeText('pvelab', { kind: 'recovered', sid: 'vm:100', from: 'node1', to: 'node3' });
    expect(t).toMatchObject({ kind: 'ha-recovered', severity: 'warning', node: 'node3', resource: 'vm:100' });
    expect(t.title).toBe('VM 100 recovered on node3 after node1 was lost (pvelab)');
    expect(t.guidance[0]).toContain('why node1 was lost');
  });

  it('an error names the way out of it; pending fencing names every waiting guest', () => {
    const e = pveHaNoticeText('pvelab', { kind: 'error', sid: 'ct:200', node: 'node2' });
    expect(e).toMatchObject({
      kind: 'ha-service-error',
      severity: 'critical',
      title: 'CT 200 is in HA error state on node2 (pvelab)',
    });
    expect(e.guidance.join(' ')).toContain('ha-manager set ct:200 --state disabled');
    const f = pveHaNoticeText('pvelab', {
      kind: 'fencing-pending',
      node: 'node1',
      sids: ['vm:100', 'vm:101', 'ct:200'],
    });
    expect(f.title).toBe('node1 is waiting to be fenced; VM 100, VM 101 and CT 200 wait for recovery (pvelab)');
  });

  it("a migration's end: finished (info), failed (warning, where the guest is), nothing for a plan or a refusal", () => {
    const base = {
      cluster: 'pvelab',
      kind: 'vm' as const,
      id: 103,
      from: 'node2',
      to: 'node3',
      via: 'qm' as const,
      message: 'm',
    };
    expect(migrationNoticeText({ ...base, status: 'migrated', node: 'node3' })).toMatchObject({
      kind: 'migration-finished',
      severity: 'info',
      title: 'VM 103 migrated from node2 to node3 (pvelab)',
    });
    const failed = migrationNoticeText({
      ...base,
      status: 'failed',
      node: 'node2',
      message: 'The migration did not complete: the guest is still on node2.',
    });
    expect(failed).toMatchObject({ kind: 'migration-failed', severity: 'warning', resource: 'vm:103' });
    expect(failed?.title).toBe('Migration of VM 103 to node3 failed: VM 103 is still on node2 (pvelab)');
    expect(failed?.guidance.join(' ')).toContain('quorate migrate pvelab --vm 103 --to node3 --plan');
    expect(migrationNoticeText({ ...base, status: 'refused', node: 'node2' })).toBeNull();
    expect(migrationNoticeText({ ...base, status: 'planned', node: 'node2' })).toBeNull();
  });
});

describe('open HA notices end when the status says so', () => {
  it('an error ends when the service leaves error; pending fencing when its node holds no fenced service', () => {
    const inError = status(haManager({ master: 'node2', lrm: ALIVE, services: { 'vm:100': ['node1', 'error'] } }));
    const fixed = status(haManager({ master: 'node2', lrm: ALIVE, services: { 'vm:100': ['node1', 'started'] } }));
    const err = { kind: 'ha-service-error', node: 'node1', resource: 'vm:100' };
    expect(haNoticeOver(err, inError)).toBe(false);
    expect(haNoticeOver(err, fixed)).toBe(true);
    const fencing = { kind: 'ha-fencing-pending', node: 'node1' };
    const waiting = status(haManager({ master: 'node2', lrm: NODE1_DEAD, services: { 'vm:100': ['node1', 'fence'] } }));
    const recovered = status(
      haManager({ master: 'node2', lrm: NODE1_DEAD, services: { 'vm:100': ['node3', 'started'] } }),
    );
    expect(haNoticeOver(fencing, waiting)).toBe(false);
    expect(haNoticeOver(fencing, recovered)).toBe(true);
    expect(haNoticeOver({ kind: 'ha-recovered', node: 'node3' }, recovered)).toBe(false);
  });
});
