import { describe, expect, it } from 'vitest';
import {
  explainPveHaState,
  guestOfSid,
  parseHaManagerStatus,
  PVE_HA_STATES,
  toHaStatus,
} from '../../../engine/ha/pve-status';

// Lines in the shape pve-ha-manager's API2::HA::Status composes them (written by hand for the test).
const THREE = `quorum OK
master pve1 (active, Tue Dec  1 12:00:00 2026)
lrm pve1 (active, Tue Dec  1 12:00:01 2026)
lrm pve2 (idle, Tue Dec  1 12:00:02 2026)
lrm pve3 (maintenance mode, Tue Dec  1 12:00:03 2026)
service ct:200 (pve2, stopped)
service vm:100 (pve1, started)
service vm:101 (pve3, fence)
`;

describe('ha-manager status', () => {
  it('reads quorum, master, one lrm per node with its mode and every service with node and state', () => {
    const r = parseHaManagerStatus(THREE);
    expect(r.ok && r.value).toEqual({
      quorate: true,
      master: 'pve1',
      masterState: 'active',
      lrms: [
        { node: 'pve1', mode: 'active' },
        { node: 'pve2', mode: 'idle' },
        { node: 'pve3', mode: 'maintenance mode' },
      ],
      services: [
        { sid: 'ct:200', node: 'pve2', state: 'stopped' },
        { sid: 'vm:100', node: 'pve1', state: 'started' },
        { sid: 'vm:101', node: 'pve3', state: 'fence' },
      ],
      fencing: null,
    });
  });

  it('reads a lost quorum, a dead master and a fencing line', () => {
    const r = parseHaManagerStatus(
      "quorum No quorum on node 'pve2'!\nmaster pve1 (old timestamp - dead?, Tue Dec  1 11:00:00 2026)\nfencing armed on pve1, pve2\n",
    );
    expect(r.ok && r.value).toMatchObject({
      quorate: false,
      master: 'pve1',
      masterState: 'old timestamp - dead?',
      fencing: 'armed on pve1, pve2',
    });
    expect(r.ok && toHaStatus(r.value).fencing).toBe(true);
  });

  it('maps to the engine-neutral status: fence blocks, maintenance and master are marked', () => {
    const r = parseHaManagerStatus(THREE);
    const s = r.ok ? toHaStatus(r.value) : null;
    expect(s?.engine).toBe('pve-ha');
    expect(s?.resources.map((x) => [x.id, x.state, x.node])).toEqual([
      ['ct:200', 'stopped', 'pve2'],
      ['vm:100', 'started', 'pve1'],
      ['vm:101', 'blocked', 'pve3'],
    ]);
    expect(s?.nodes.find((n) => n.name === 'pve3')).toMatchObject({ maintenance: true, unclean: true });
    expect(s?.nodes.find((n) => n.name === 'pve1')?.isDc).toBe(true);
  });

  it('refuses text that is not ha-manager status, and a malformed line', () => {
    expect(parseHaManagerStatus('hello\n').ok).toBe(false);
    const bad = parseHaManagerStatus('quorum OK\nservice vm:100 pve1 started\n');
    expect(!bad.ok && bad.error.code).toBe('ha.pve-parse');
  });

  it('explains every state in words, and says so for an unknown one', () => {
    for (const s of PVE_HA_STATES) {
      expect(explainPveHaState(s).length).toBeGreaterThan(20);
    }
    expect(explainPveHaState('error')).toMatch(/disable/);
    expect(explainPveHaState('fence')).toMatch(/fenced/);
    expect(explainPveHaState('wobble')).toMatch(/does not know/);
  });

  it('reads service ids', () => {
    expect(guestOfSid('vm:100')).toEqual({ kind: 'vm', id: 100 });
    expect(guestOfSid('ct:200')).toEqual({ kind: 'ct', id: 200 });
    expect(guestOfSid('100')).toEqual({ kind: 'vm', id: 100 });
    expect(guestOfSid('vm:x')).toBeNull();
  });
});
