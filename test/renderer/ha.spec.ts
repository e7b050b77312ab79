import { describe, expect, it } from 'vitest';
import type { HaStatusView } from '../../engine/api/contract';
import { err, ok } from '../../engine/result';
import { HaState } from '../../renderer/src/state/ha.svelte';
import { fakeApi } from './fake-api';

const view = (node: string | null): HaStatusView => ({
  cluster: 'lab',
  engine: 'pacemaker',
  dc: 'node2',
  quorate: true,
  fencing: false,
  nodes: [],
  resources: [{ id: 'vip', agent: 'ocf:heartbeat:IPaddr2', state: node ? 'started' : 'stopped', node, group: null }],
  failures: [],
  readFrom: 'node1',
  updatedAt: 1,
});

describe('HaState (dashboard HA card)', () => {
  it('loads a cluster’s HA status, then follows onDidChangeHa snapshots', async () => {
    const f = fakeApi({ haStatus: () => ok(view('node1')) });
    const ha = new HaState(f.api);
    const ctl = new AbortController();
    ha.listen(ctl.signal);
    await ha.load('lab');
    expect(f.calls).toEqual([{ method: 'haStatus', params: { cluster: 'lab' } }]);
    expect(ha.statuses.lab?.resources[0]?.node).toBe('node1');
    f.emit('onDidChangeHa', { cluster: 'lab', status: view('node3') });
    expect(ha.statuses.lab?.resources[0]?.node).toBe('node3');
    ctl.abort();
    expect(f.listeners('onDidChangeHa')).toBe(0);
  });

  it('keeps the error of a cluster whose HA status cannot be read, and clears it on success', async () => {
    let fail = true;
    const f = fakeApi({
      haStatus: () =>
        fail ? err('ha.not-available', 'Proxmox HA is not driven yet', 'use the web UI') : ok(view(null)),
    });
    const ha = new HaState(f.api);
    await ha.load('lab');
    expect(ha.errors.lab?.code).toBe('ha.not-available');
    fail = false;
    await ha.load('lab');
    expect(ha.errors.lab).toBeUndefined();
    expect(ha.statuses.lab?.engine).toBe('pacemaker');
  });
});
