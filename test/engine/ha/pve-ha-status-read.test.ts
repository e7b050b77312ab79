import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HaNodeRunner } from '../../../engine/ha/pacemaker.ssh';
import { createPveHaEngine } from '../../../engine/ha/pve-ha.ssh';
import { ok } from '../../../engine/result';
import type { CommandOutput } from '../../../engine/ssh/runner';

const out = (stdout: string): CommandOutput => ({ stdout, stderr: '', exitCode: 0, signal: null });
const QUORATE = 'quorum OK\nmaster node2 (active, x)\nlrm node2 (active, x)\nservice vm:100 (node2, started)\n';
const CUT_OFF = "quorum No quorum on node 'node1'!\nlrm node1 (active, x)\nservice vm:100 (node2, fence)\n";

/** A node whose `ha-manager status` answers `text`, or hangs (a cut node) while `hang` is set. */
function node(name: string, text: string): HaNodeRunner & { calls: number; hang: boolean } {
  const n = {
    node: name,
    calls: 0,
    hang: false,
    runner: {
      label: name,
      run: async () => {
        n.calls++;
        return n.hang ? new Promise<never>(() => {}) : ok(out(text));
      },
      upload: async () => ok(undefined),
      close: async () => {},
    },
  };
  return n;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("reading a Proxmox cluster's ha-manager status", () => {
  it('takes a quorate node over a cut-off one, then asks only that node, and the others again when it goes silent', async () => {
    vi.useFakeTimers();
    const n1 = node('node1', CUT_OFF);
    const n2 = node('node2', QUORATE);
    const n3 = node('node3', QUORATE);
    const engine = createPveHaEngine([n1, n2, n3]);
    const first = await engine.status();
    expect(first.ok && first.value.quorate).toBe(true);
    expect([n1.calls, n2.calls, n3.calls]).toEqual([1, 1, 1]);
    // One run per read on the node that answered with quorum (node2 answered first: its promise settled first).
    await engine.status();
    await engine.status();
    expect([n1.calls, n2.calls, n3.calls]).toEqual([1, 3, 1]);
    // node2 is cut: its read hangs; after a few seconds the others are asked and node3 answers.
    n2.hang = true;
    const pending = engine.status();
    await vi.advanceTimersByTimeAsync(3_100);
    const r = await pending;
    expect(r.ok && r.value.quorate).toBe(true);
    expect([n1.calls, n2.calls, n3.calls]).toEqual([2, 4, 2]);
    // node2's read still hangs: it is not asked again meanwhile; node3 is the one asked now.
    await engine.status();
    expect([n1.calls, n2.calls, n3.calls]).toEqual([2, 4, 3]);
  });

  it('with no quorate node, answers what a node said (the caller sees quorate: false)', async () => {
    const engine = createPveHaEngine([node('node1', CUT_OFF)]);
    const r = await engine.status();
    expect(r.ok && r.value.quorate).toBe(false);
  });
});
