import { describe, expect, it } from 'vitest';
import type { PveMigrateParams } from '../../../engine/api/contract';
import type { PveHandlers } from '../../../engine/cli/pve-commands';
import { runGuestsCommand, runMigrateCommand } from '../../../engine/cli/pve-commands';
import { UsageError } from '../../../engine/cli/io';
import { err, ok } from '../../../engine/result';

function io() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: (t: string) => void (out.stdout += t),
      stderr: (t: string) => void (out.stderr += t),
      readStdin: async () => '',
    },
  };
}

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
