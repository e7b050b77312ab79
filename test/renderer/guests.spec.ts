import { describe, expect, it } from 'vitest';
import type {
  HaAddParams,
  HaRequirementsParams,
  HaStatusView,
  PveMigrateOutcome,
  PveMigrateParams,
} from '../../engine/api/contract';
import { err, ok } from '../../engine/result';
import { GuestsState } from '../../renderer/src/state/guests.svelte';
import { fakeApi, type FakeApi } from './fake-api';

const ha = (state: string): HaStatusView => ({
  cluster: 'pve',
  engine: 'pve-ha',
  dc: 'node1',
  quorate: true,
  fencing: null,
  nodes: ['node1', 'node2', 'node3'].map((name) => ({
    name,
    online: true,
    standby: false,
    maintenance: false,
    unclean: false,
    isDc: name === 'node1',
  })),
  resources: [{ id: 'vm:100', agent: 'pve:vm', state: 'blocked', node: 'node1', group: null, engineState: state }],
  failures: [],
  readFrom: 'node1',
  updatedAt: 1,
});

const guests = ok({
  guests: [
    { id: 100, kind: 'vm' as const, name: 'web', node: 'node1', status: 'running', ha: true },
    { id: 101, kind: 'vm' as const, name: 'db', node: 'node1', status: 'stopped', ha: false },
    { id: 200, kind: 'ct' as const, name: 'dns', node: 'node2', status: 'running', ha: false },
  ],
});

const outcome = (p: PveMigrateParams): PveMigrateOutcome => ({
  cluster: p.cluster,
  kind: p.kind,
  id: p.id,
  from: 'node1',
  to: p.to,
  status: 'failed',
  checks: [],
  via: 'qm',
  node: 'node1',
  log: [],
  message: 'The migration failed half-way: migration aborted. VM 101 is still on node1, where it was.',
});

describe('GuestsState (dashboard guests / HA view)', () => {
  it('groups guests per node with ha-manager state in plain words, and hides itself on a non-Proxmox cluster', async () => {
    const f = fakeApi({ pveGuests: () => guests, haStatus: () => ok(ha('fence')) });
    const g = new GuestsState('pve', f.api);
    await g.load();
    expect(g.byNode.map((n) => [n.node, n.guests.map((x) => [x.sid, x.haState])])).toEqual([
      [
        'node1',
        [
          ['vm:100', 'fence'],
          ['vm:101', null],
        ],
      ],
      ['node2', [['ct:200', null]]],
    ]);
    expect(g.byNode[0]?.guests[0]?.haWords).toMatch(/waits until that node is fenced/);
    expect(g.nodes).toEqual(['node1', 'node2', 'node3']);
    const ctl = new AbortController();
    g.listen(ctl.signal);
    f.emit('onDidChangeHa', { cluster: 'pve', status: ha('error') });
    expect(g.byNode[0]?.guests[0]?.haWords).toMatch(/disable it and set it to started again/);
    ctl.abort();

    const plain = fakeApi({
      pveGuests: () => err('pve.not-pve', 'lab is not a Proxmox VE cluster', 'Use quorate ha'),
      haStatus: () => ok(ha('started')),
    });
    const p = new GuestsState('lab', plain.api);
    await p.load();
    expect([p.notPve, p.error]).toEqual([true, null]);
    expect(plain.calls.map((c) => c.method)).toEqual(['pveGuests']);
  });

  it('shows the requirements first; Add stays off until every consent asked for is ticked, then passes them', async () => {
    const adds: HaAddParams[] = [];
    const f: FakeApi = fakeApi({
      pveGuests: () => guests,
      haStatus: () => ok(ha('started')),
      haRequirements: (p: HaRequirementsParams) =>
        ok({
          cluster: p.cluster,
          guest: `vm:${p.vm}`,
          checks: [
            { id: 'ha.votes', title: 'three votes', result: 'fail', message: '2 votes', consent: 'fewVotes' },
            { id: 'ha.shared-storage', title: 'shared', result: 'fail', message: 'local-lvm', consent: 'localDisks' },
          ],
          consentNeeded: ['fewVotes', 'localDisks'],
        }),
      haAdd: (p: HaAddParams) => {
        adds.push(p);
        return ok({ id: 'vm:101', kind: 'vm', state: 'started', node: 'node1', with: null });
      },
    });
    const g = new GuestsState('pve', f.api);
    await g.load();
    const db = g.guests?.find((x) => x.id === 101);
    await g.showRequirements(db!);
    expect(f.calls.find((c) => c.method === 'haRequirements')?.params).toEqual({ cluster: 'pve', vm: '101' });
    expect(g.canAdd).toBe(false);
    expect(await g.add()).toBe(false);
    g.toggleConsent('fewVotes');
    expect(g.canAdd).toBe(false);
    g.toggleConsent('localDisks');
    expect(g.canAdd).toBe(true);
    expect(await g.add()).toBe(true);
    expect(adds).toEqual([{ cluster: 'pve', vm: '101', allowFewVotes: true, allowLocalDisks: true }]);
    expect(g.requirements).toBe(null);
  });

  it('sets a requested state and keeps a refusal to show', async () => {
    const f = fakeApi({
      pveGuests: () => guests,
      haStatus: () => ok(ha('started')),
      haSet: (p: { state: string }) =>
        p.state === 'disabled'
          ? err('ha.state-not-supported', 'no disabled', 'use stopped')
          : ok({ id: 'vm:100', requested: p.state, resource: null }),
    });
    const g = new GuestsState('pve', f.api);
    expect(await g.setState('vm:100', 'stopped')).toBe(true);
    expect(f.calls.find((c) => c.method === 'haSet')?.params).toEqual({
      cluster: 'pve',
      id: 'vm:100',
      state: 'stopped',
    });
    expect(await g.setState('vm:100', 'disabled')).toBe(false);
    expect(g.actionError?.code).toBe('ha.state-not-supported');
  });

  it('shows the task log line by line while the migration runs, then its outcome', async () => {
    const seen: number[] = [];
    const f: FakeApi = fakeApi({
      pveGuests: () => guests,
      haStatus: () => ok(ha('started')),
      pveMigrate: async (p: PveMigrateParams) => {
        for (const line of ['starting migration of VM 101', 'ERROR: migration aborted']) {
          f.emit('onDidPveMigrateProgress', { cluster: 'pve', kind: 'vm', id: 101, node: 'node1', line, at: 1 });
          seen.push(g.migrations['vm:101']?.lines.length ?? -1);
        }
        f.emit('onDidPveMigrateProgress', { cluster: 'other', kind: 'vm', id: 101, node: 'x', line: 'no', at: 1 });
        return ok(outcome(p));
      },
    });
    const g: GuestsState = new GuestsState('pve', f.api);
    const ctl = new AbortController();
    g.listen(ctl.signal);
    await g.load();
    const db = g.guests?.find((x) => x.id === 101);
    await g.migrate(db!, 'node2');
    expect(seen).toEqual([1, 2]);
    expect(g.migrations['vm:101']?.lines).toEqual(['starting migration of VM 101', 'ERROR: migration aborted']);
    expect(g.migrations['vm:101']?.outcome?.message).toMatch(/still on node1, where it was/);
    ctl.abort();
  });
});
