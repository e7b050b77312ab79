/**
 * The HA differ over `ha-manager status` as the Proxmox stand-in's CRM/LRM really printed it while
 * the node of an HA guest was cut and the guest recovered elsewhere (recorded by
 * test/lab/capture-pve-ha-sequence.ts: a survivor's and the cut node's reads, in order). The cut
 * node's own reads say "No quorum" and must change nothing; the `recovery` state fell between two
 * reads in this recording, as it can in the app's 10 s polls.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffPveHa, type PveHaEvent, type PveHaMemory } from '../../../engine/ha/pve-events';
import { pveHaNoticeText } from '../../../engine/ha/pve-notices';
import { parseHaManagerStatus, toHaStatus } from '../../../engine/ha/pve-status';

interface Recording {
  readonly lost: string;
  readonly master: string;
  readonly samples: readonly { readonly t: number; readonly node: string; readonly stdout: string }[];
}

const rec = JSON.parse(readFileSync(new URL('./sequences/pve-recovery.json', import.meta.url), 'utf8')) as Recording;

function replay(samples: Recording['samples']): PveHaEvent[] {
  let memory: PveHaMemory | null = null;
  const events: PveHaEvent[] = [];
  for (const s of samples) {
    const p = parseHaManagerStatus(s.stdout);
    expect(p.ok, s.stdout).toBe(true);
    const d = diffPveHa(memory, toHaStatus(p.ok ? p.value : (null as never)));
    memory = d.memory;
    events.push(...d.events);
  }
  return events;
}

describe('the HA differ over a recorded recovery on the stand-in', () => {
  it('every read in order (the survivor and the cut node): one fencing pending, one recovery, nothing else', () => {
    expect(rec.lost).toBe('node2');
    expect(replay(rec.samples)).toEqual([
      { kind: 'fencing-pending', node: 'node2', sids: ['vm:100'] },
      { kind: 'recovered', sid: 'vm:100', from: 'node2', to: 'node1' },
    ]);
  });

  it("the survivor's reads alone (the app reads one quorate node) give the same; the cut node's alone nothing", () => {
    expect(replay(rec.samples.filter((s) => s.node !== rec.lost))).toEqual(replay(rec.samples));
    const cutOff = rec.samples.filter((s) => s.node === rec.lost && s.stdout.startsWith('quorum No quorum'));
    expect(cutOff.length).toBeGreaterThan(0);
    expect(replay(cutOff)).toEqual([]);
  });

  it('in words: "VM 100 recovered on node1 after node2 was lost"', () => {
    const [, recovered] = replay(rec.samples);
    expect(pveHaNoticeText('pvelab', recovered!).title).toBe('VM 100 recovered on node1 after node2 was lost (pvelab)');
  });
});
