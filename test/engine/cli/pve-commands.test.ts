import { describe, expect, it } from 'vitest';
import type { PveMigrateParams } from '../../../engine/api/contract';
import type { PveHandlers } from '../../../engine/cli/pve-commands';
import { runGuestsCommand, runMigrateCommand } from '../../../engine/cli/pve-commands';
import { UsageError } from '../../../engine/cli/io';
import { createEventHub } from '../../../engine/api/event-hub';
import { err, ok } from '../../../engine/result';
import { io } from './captured-io';

const calls: PveMigrateParams[] = [];
const handlers: PveHandlers = {
  pveGuests: async ({ cluster }) =>
    cluster === 'nope'
      ? err('clusters.unknown', 'Quorate manages no cluster named nope.', 'Check the name.')
      : ok({ guests: [{ id: 100, kind: 'vm', name: 'web', node: 'pve1', status: 'running', ha: true }] }),
  pveMigrate: async (p) => {
    calls.push(p);
    const refused = p.id === 101;
    return ok({
      cluster: p.cluster,
      kind: p.kind,
      id: p.id,
      from: 'pve1',
      to: p.to,
      status: p.plan ? 'planned' : refused ? 'refused' : 'migrated',
      checks: [{ id: 'proxmox.local-disks', by: 'proxmox', result: refused ? 'fail' : 'pass', message: 'disks' }],
      via: 'qm',
      node: refused ? 'pve1' : p.to,
      log: [],
      message: refused ? 'Not migrated' : 'done',
    });
  },
};

describe('quorate guests / migrate', () => {
  it('guests --json prints the fixed shape', async () => {
    const t = io();
    expect(await runGuestsCommand(['lab', '--json'], t.io, { handlers })).toBe(0);
    expect(JSON.parse(t.out.stdout)).toEqual({
      guests: [{ id: 100, kind: 'vm', name: 'web', node: 'pve1', status: 'running', ha: true }],
    });
    const bad = io();
    expect(await runGuestsCommand(['nope', '--json'], bad.io, { handlers })).toBe(1);
    expect(JSON.parse(bad.out.stdout).error.code).toBe('clusters.unknown');
  });

  it('migrate passes every flag, exits 1 when refused, 0 when planned or migrated', async () => {
    const t = io();
    expect(
      await runMigrateCommand(
        ['lab', '--vm', '100', '--to', 'pve2', '--online', '--with-local-disks', '--plan', '--json'],
        t.io,
        { handlers },
      ),
    ).toBe(0);
    expect(calls.at(-1)).toEqual({
      cluster: 'lab',
      kind: 'vm',
      id: 100,
      to: 'pve2',
      online: true,
      withLocalDisks: true,
      plan: true,
    });
    expect(JSON.parse(t.out.stdout)).toMatchObject({ ok: true, status: 'planned', checks: [{ result: 'pass' }] });
    const r = io();
    expect(await runMigrateCommand(['lab', '--vm', '101', '--to', 'pve2'], r.io, { handlers })).toBe(1);
    expect(r.out.stdout).toMatch(/fail Proxmox: disks/);
    expect(await runMigrateCommand(['lab', '--ct', '200', '--to', 'pve3', '--json'], io().io, { handlers })).toBe(0);
    expect(calls.at(-1)).toEqual({ cluster: 'lab', kind: 'ct', id: 200, to: 'pve3' });
  });

  it('prints the task log as it streams, before the outcome, and does not print it twice', async () => {
    const hub = createEventHub();
    const seenBeforeEnd: string[] = [];
    const t = io();
    const streaming: PveHandlers = {
      ...handlers,
      pveMigrate: async (p) => {
        for (const line of ['starting migration of VM 103', 'ERROR: online migrate failure']) {
          hub.emit('onDidPveMigrateProgress', {
            cluster: p.cluster,
            kind: p.kind,
            id: p.id,
            node: 'pve2',
            line,
            at: 1,
          });
          seenBeforeEnd.push(t.out.stdout);
        }
        hub.emit('onDidPveMigrateProgress', {
          cluster: 'other',
          kind: 'vm',
          id: 103,
          node: 'x',
          line: 'not ours',
          at: 1,
        });
        return ok({
          cluster: p.cluster,
          kind: p.kind,
          id: p.id,
          from: 'pve2',
          to: p.to,
          status: 'failed',
          checks: [],
          via: 'qm',
          node: 'pve2',
          log: ['starting migration of VM 103', 'ERROR: online migrate failure'],
          message: 'The migration failed half-way: online migrate failure. VM 103 is still on pve2, where it was.',
        });
      },
    };
    expect(
      await runMigrateCommand(['lab', '--vm', '103', '--to', 'pve3'], t.io, { handlers: streaming, events: hub }),
    ).toBe(1);
    expect(seenBeforeEnd[0]).toBe('  | starting migration of VM 103\n');
    expect(t.out.stdout).toBe(
      '  | starting migration of VM 103\n  | ERROR: online migrate failure\nThe migration failed half-way: online migrate failure. VM 103 is still on pve2, where it was.\n',
    );
    const j = io();
    await runMigrateCommand(['lab', '--vm', '103', '--to', 'pve3', '--json'], j.io, {
      handlers: streaming,
      events: hub,
    });
    expect(JSON.parse(j.out.stdout)).toMatchObject({ ok: false, status: 'failed', node: 'pve2' });
    expect(j.out.stderr).toContain('  | ERROR: online migrate failure');
  });

  it('refuses unclear usage: both or neither guest flag, no --to, a non-numeric id', async () => {
    for (const argv of [
      ['lab', '--to', 'x'],
      ['lab', '--vm', '1', '--ct', '2', '--to', 'x'],
      ['lab', '--vm', '100'],
      ['lab', '--vm', 'a', '--to', 'x'],
    ]) {
      await expect(runMigrateCommand(argv, io().io, { handlers })).rejects.toBeInstanceOf(UsageError);
    }
  });
});
