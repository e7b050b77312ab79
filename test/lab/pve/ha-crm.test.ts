import { describe, expect, it } from 'vitest';
import { crmRound, type CrmInput, type ManagerStatus } from './ha-crm';

let n = 0;
function world(over: Partial<CrmInput> = {}): CrmInput {
  return {
    prev: { node_status: {}, service_status: {} },
    me: 'node2',
    now: 1000,
    members: { node1: true, node2: true, node3: true },
    lrmModes: {},
    resources: { 'vm:100': 'started', 'ct:200': 'started' },
    guestNode: { 'vm:100': 'node1', 'ct:200': 'node1' },
    commands: [],
    fenceDelayS: 3,
    lastOnline: new Map(),
    takeAgentLock: () => false,
    uid: () => `u${n++}`,
    ...over,
  };
}

const states = (ms: ManagerStatus) =>
  Object.fromEntries(Object.entries(ms.service_status).map(([k, v]) => [k, `${v.node}/${v.state}`]));

describe('stand-in CRM round', () => {
  it('fences the services of a node that left, recovers them once its agent lock is taken', () => {
    const lastOnline = new Map<string, number>();
    let ms = crmRound(world({ lastOnline })).status;
    expect(states(ms)).toEqual({ 'vm:100': 'node1/started', 'ct:200': 'node1/started' });
    expect(ms.node_status).toEqual({ node1: 'online', node2: 'online', node3: 'online' });
    const cut = { members: { node1: false, node2: true, node3: true }, lastOnline };
    // Inside the fence delay: node unknown, services still started there.
    ms = crmRound(world({ ...cut, prev: ms, now: 1002 })).status;
    expect(ms.node_status.node1).toBe('unknown');
    expect(states(ms)['vm:100']).toBe('node1/started');
    // Past it, the agent lock still held by the lost node: fence, nothing moves.
    const f = crmRound(world({ ...cut, prev: ms, now: 1004 }));
    expect(states(f.status)).toEqual({ 'vm:100': 'node1/fence', 'ct:200': 'node1/fence' });
    expect(f.status.node_status.node1).toBe('fence');
    expect(f.steals).toEqual([]);
    // Lock expired and taken: fencing acknowledged → recovery → started elsewhere, configs stolen.
    const r = crmRound(world({ ...cut, prev: f.status, now: 1020, takeAgentLock: (x) => x === 'node1' }));
    expect(r.status.node_status.node1).toBe('unknown');
    expect(states(r.status)).toEqual({ 'vm:100': 'node3/started', 'ct:200': 'node2/started' });
    expect(r.steals).toEqual([
      { sid: 'ct:200', from: 'node1', to: 'node2' },
      { sid: 'vm:100', from: 'node1', to: 'node3' },
    ]);
    expect(r.log.join('\n')).toMatch(/fencing: acknowledged - got agent lock for node 'node1'/);
  });

  it('never recovers without the agent lock, however long the node is gone', () => {
    let ms = crmRound(world()).status;
    const lastOnline = new Map<string, number>();
    for (let t = 1000; t < 2000; t += 100) {
      const out = crmRound(
        world({ prev: ms, now: t, lastOnline, members: { node1: false, node2: true, node3: true } }),
      );
      expect(out.steals).toEqual([]);
      ms = out.status;
    }
    expect(states(ms)['vm:100']).toBe('node1/fence');
  });

  it('node maintenance: VMs migrate, CTs relocate away, and come back to the remembered node', () => {
    let ms = crmRound(world()).status;
    ms = crmRound(world({ prev: ms, commands: ['enable-node-maintenance node1'] })).status;
    expect(ms.node_request).toEqual({ node1: { maintenance: 1 } });
    // The LRM of node1 reports maintenance mode.
    const out = crmRound(world({ prev: ms, lrmModes: { node1: 'maintenance' } }));
    ms = out.status;
    expect(ms.node_status.node1).toBe('maintenance');
    expect(states(ms)).toEqual({ 'vm:100': 'node1/migrate', 'ct:200': 'node1/relocate' });
    expect(ms.service_status['vm:100']?.maintenance_node).toBe('node1');
    // The LRM moved the configs.
    const moved = { 'vm:100': ms.service_status['vm:100']!.target!, 'ct:200': ms.service_status['ct:200']!.target! };
    expect(Object.values(moved).sort()).toEqual(['node2', 'node3']);
    ms = crmRound(world({ prev: ms, guestNode: moved, lrmModes: { node1: 'maintenance' } })).status;
    expect(states(ms)['vm:100']).toBe(`${moved['vm:100']}/started`);
    // Disabled: the LRM is active again → node online → both go back to node1.
    ms = crmRound(world({ prev: ms, guestNode: moved, commands: ['disable-node-maintenance node1'] })).status;
    expect(ms.node_request).toEqual({});
    ms = crmRound(world({ prev: ms, guestNode: moved, lrmModes: { node1: 'active' } })).status;
    expect(states(ms)).toEqual({ 'vm:100': `${moved['vm:100']}/migrate`, 'ct:200': `${moved['ct:200']}/relocate` });
    expect(ms.service_status['vm:100']?.target).toBe('node1');
    ms = crmRound(world({ prev: ms, guestNode: { 'vm:100': 'node1', 'ct:200': 'node1' } })).status;
    expect(states(ms)).toEqual({ 'vm:100': 'node1/started', 'ct:200': 'node1/started' });
    expect(ms.service_status['vm:100']?.maintenance_node).toBeUndefined();
  });

  it('ignores crm commands to an offline node or the current node, queues a migrate otherwise', () => {
    let ms = crmRound(world()).status;
    const out = crmRound(
      world({
        prev: ms,
        members: { node1: true, node2: true, node3: false },
        commands: ['migrate vm:100 node1', 'migrate vm:100 node3', 'enable-node-maintenance node3'],
      }),
    );
    expect(out.log.join('\n')).toMatch(/service already on target node: migrate vm:100 node1/);
    expect(out.log.join('\n')).toMatch(/node not online: enable-node-maintenance node3/);
    ms = crmRound(world({ prev: out.status, commands: ['migrate vm:100 node2'] })).status;
    expect(ms.service_status['vm:100']).toMatchObject({ state: 'migrate', target: 'node2' });
  });
});
