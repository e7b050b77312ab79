import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Notice, TimelineEntry } from '../../../engine/api/contract';
import { createEventHub } from '../../../engine/api/event-hub';
import { createHaService } from '../../../engine/api/service-ha';
import { deleteCluster, saveCluster } from '../../../engine/ops/registry.fs';
import { ok } from '../../../engine/result';
import type { CommandRunner } from '../../../engine/ssh/runner';

const until = async <T>(fn: () => T | undefined, ms = 5_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() > end) {
      throw new Error('timed out');
    }
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('the app follows every Proxmox cluster for HA news (no `ha enable` there)', () => {
  it('reads ha-manager status on a pve cluster and raises the pve notices on the hub: fencing pending, then recovered', async () => {
    const home = mkdtempSync(join(tmpdir(), 'quorate-ha-pve-'));
    await saveCluster({ name: 'pvelab', provider: 'pve', nodes: { node1: 'm1', node2: 'm2' } }, home);
    // A Pacemaker cluster without the `ha enable` marker is not followed: no crm_mon is ever run.
    await saveCluster({ name: 'plain', provider: 'corosync', nodes: { a: 'm9' } }, home);
    const reads = [
      'quorum OK\nmaster node2 (active, x)\nlrm node1 (active, x)\nlrm node2 (active, x)\nservice vm:100 (node1, started)\n',
      'quorum OK\nmaster node2 (active, x)\nlrm node1 (old timestamp - dead?, x)\nlrm node2 (active, x)\nservice vm:100 (node1, fence)\n',
      'quorum OK\nmaster node2 (active, x)\nlrm node1 (old timestamp - dead?, x)\nlrm node2 (active, x)\nservice vm:100 (node2, started)\n',
    ];
    // Each node answers the sequence in order (the first read asks both; then only the one that answered).
    const next = new Map<string, number>();
    const commands: string[] = [];
    const runner = (label: string): CommandRunner => ({
      label,
      run: async (command) => {
        commands.push(`${label} ${command}`);
        const i = next.get(label) ?? 0;
        next.set(label, i + 1);
        const text = reads[Math.min(i, reads.length - 1)]!;
        return ok({ stdout: text, stderr: '', exitCode: 0, signal: null });
      },
      upload: async () => ok(undefined),
      close: async () => {},
    });
    const events = createEventHub();
    const notices: Notice[] = [];
    const timeline: TimelineEntry[] = [];
    events.subscribe((e, p) => {
      if (e === 'onDidNotify') {
        notices.push(p as Notice);
      } else if (e === 'onDidAddTimelineEntry') {
        timeline.push(p as TimelineEntry);
      }
    });
    const ha = createHaService({
      home,
      events,
      now: Date.now,
      connect: async (m) => ok(runner(m)),
      watch: true,
      pollMs: 5,
    });
    await ha.refresh();
    await until(() => (notices.length >= 2 ? true : undefined));
    // Forgotten (`quorate clusters forget`): no more reads.
    await deleteCluster('pvelab', home);
    await ha.refresh();
    const after = commands.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(commands.length).toBe(after);
    await ha.dispose();
    expect(notices.map((n) => `${n.kind} ${n.node} ${n.resource ?? ''}`.trim())).toEqual([
      'ha-fencing-pending node1',
      'ha-recovered node2 vm:100',
    ]);
    expect(timeline.map((t) => t.text)).toEqual([
      'node1 is waiting to be fenced; VM 100 waits for recovery (pvelab)',
      'VM 100 recovered on node2 after node1 was lost (pvelab)',
    ]);
    expect(commands.every((c) => c.endsWith('ha-manager status') && !c.startsWith('m9'))).toBe(true);
  });
});
