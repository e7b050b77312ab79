import { describe, expect, it } from 'vitest';
import type { HaHandlers } from '../../../engine/cli/ha-commands';
import { runHaCommand } from '../../../engine/cli/ha-commands';
import { main } from '../../../engine/cli/main';
import { err, ok } from '../../../engine/result';
import { io } from './captured-io';

const calls: unknown[] = [];
const handlers: HaHandlers = {
  haStatus: async ({ cluster }) =>
    ok({
      cluster,
      engine: 'pacemaker',
      dc: 'node2',
      quorate: true,
      fencing: false,
      nodes: [],
      resources: [
        { id: 'ip-198.18.0.100', agent: 'ocf:heartbeat:IPaddr2', state: 'started', node: 'node1', group: null },
        { id: 'svc-nginx', agent: 'systemd:nginx', state: 'stopped', node: null, group: null },
      ],
      failures: [],
      readFrom: 'node1',
      updatedAt: 1,
    }),
  haEnable: async (p) => {
    calls.push(p);
    return err('ha.fencing-required', 'no fence device', 'use --no-fencing --confirm lab');
  },
  haAdd: async (p) => {
    calls.push(p);
    return ok({ id: 'ip-198.18.0.100', kind: 'ip', state: 'started', node: 'node1', with: null });
  },
  haRemove: async ({ id }) => ok({ id }),
  haMove: async (p) => {
    calls.push(p);
    return ok({ id: p.id, agent: 'x', state: 'started', node: p.to, group: null });
  },
  haStandby: async (p) => {
    calls.push(p);
    return ok({ node: p.node, standby: p.standby, resources: [] });
  },
  haRequirements: async (p) => {
    calls.push({ requirements: p });
    return ok({
      cluster: p.cluster,
      guest: p.vm ? `vm:${p.vm}` : null,
      checks: [
        {
          id: 'ha.votes',
          title: 'At least three votes',
          result: p.allowFewVotes ? 'warn' : 'fail',
          message: '2 votes (2 nodes)',
          consent: 'fewVotes',
        },
      ],
      consentNeeded: p.allowFewVotes ? [] : ['fewVotes'],
    });
  },
  haSet: async (p) => {
    calls.push(p);
    return p.state === 'disabled'
      ? err('ha.state-not-supported', 'no disabled on Pacemaker', 'use --state stopped')
      : ok({
          id: p.id,
          requested: p.state,
          resource: { id: p.id, agent: 'pve:vm', state: 'stopped', node: 'node1', group: null },
        });
  },
};

describe('quorate ha (CLI shapes)', () => {
  it('status --json is exactly {engine, resources:[{id,state,node}]}', async () => {
    const t = io();
    expect(await runHaCommand(['status', 'lab', '--json'], t.io, { handlers })).toBe(0);
    expect(JSON.parse(t.out.stdout)).toEqual({
      engine: 'pacemaker',
      resources: [
        { id: 'ip-198.18.0.100', state: 'started', node: 'node1' },
        { id: 'svc-nginx', state: 'stopped', node: null },
      ],
    });
  });

  it('passes the typed consent through, and prints refusals as {ok:false,error} with exit 1', async () => {
    const t = io();
    calls.length = 0;
    expect(
      await runHaCommand(['enable', 'lab', '--no-fencing', '--confirm', 'lab', '--json'], t.io, { handlers }),
    ).toBe(1);
    expect(calls).toEqual([{ cluster: 'lab', noFencing: true, confirm: 'lab' }]);
    expect(JSON.parse(t.out.stdout)).toMatchObject({ ok: false, error: { code: 'ha.fencing-required' } });
  });

  it('add --ip … --with ID, move --to, standby/unstandby map to the use cases', async () => {
    calls.length = 0;
    const t = io();
    await runHaCommand(['add', 'lab', '--ip', '198.18.0.100/24', '--with', 'web', '--json'], t.io, { handlers });
    expect(JSON.parse(t.out.stdout)).toEqual({
      ok: true,
      id: 'ip-198.18.0.100',
      kind: 'ip',
      state: 'started',
      node: 'node1',
      with: null,
    });
    await runHaCommand(['move', 'lab', 'vip', '--to', 'node3'], io().io, { handlers });
    await runHaCommand(['standby', 'lab', '--node', 'node2'], io().io, { handlers });
    await runHaCommand(['unstandby', 'lab', '--node', 'node2'], io().io, { handlers });
    expect(calls).toEqual([
      { cluster: 'lab', ip: '198.18.0.100/24', with: 'web' },
      { cluster: 'lab', id: 'vip', to: 'node3' },
      { cluster: 'lab', node: 'node2', standby: true },
      { cluster: 'lab', node: 'node2', standby: false },
    ]);
  });

  it('ha add --vm shows the requirements first, then passes the consent flag with the fixed shape', async () => {
    calls.length = 0;
    const t = io();
    expect(await runHaCommand(['add', 'pve', '--vm', '100', '--allow-few-votes'], t.io, { handlers })).toBe(0);
    expect(calls).toEqual([
      { requirements: { cluster: 'pve', vm: '100', allowFewVotes: true } },
      { cluster: 'pve', vm: '100', allowFewVotes: true },
    ]);
    const lines = t.out.stdout.split('\n');
    expect(lines[0]).toBe('HA requirements on pve:');
    expect(lines[1]).toMatch(/^ {2}warn +At least three votes$/);
    expect(t.out.stdout.indexOf('requirements')).toBeLessThan(t.out.stdout.indexOf('added'));
  });

  it('ha requirements exits 1 while a consent is needed; ha set maps --state and prints refusals', async () => {
    const t = io();
    expect(await runHaCommand(['requirements', 'pve', '--vm', '100', '--json'], t.io, { handlers })).toBe(1);
    expect(JSON.parse(t.out.stdout)).toMatchObject({ ok: true, guest: 'vm:100', consentNeeded: ['fewVotes'] });
    calls.length = 0;
    const s = io();
    expect(await runHaCommand(['set', 'pve', 'vm:100', '--state', 'stopped', '--json'], s.io, { handlers })).toBe(0);
    expect(calls).toEqual([{ cluster: 'pve', id: 'vm:100', state: 'stopped' }]);
    expect(JSON.parse(s.out.stdout)).toEqual({
      ok: true,
      id: 'vm:100',
      requested: 'stopped',
      state: 'stopped',
      node: 'node1',
    });
    const d = io();
    expect(await runHaCommand(['set', 'lab', 'web', '--state', 'disabled', '--json'], d.io, { handlers })).toBe(1);
    expect(JSON.parse(d.out.stdout)).toMatchObject({ ok: false, error: { code: 'ha.state-not-supported' } });
  });

  it('usage errors exit 2 with a hint', async () => {
    for (const argv of [
      ['ha', 'enable', 'lab', '--confirm', 'lab'],
      ['ha', 'move', 'lab', 'vip'],
      ['ha', 'standby', 'lab'],
      ['ha', 'set', 'lab', 'vm:100'],
      ['ha', 'set', 'lab', 'vm:100', '--state', 'running'],
      ['ha', 'frobnicate', 'lab'],
      ['ha'],
    ]) {
      const t = io();
      expect(await main(argv, t.io), argv.join(' ')).toBe(2);
      expect(t.out.stderr).toMatch(/hint:/);
    }
  });
});
