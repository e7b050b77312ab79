import { describe, expect, it } from 'vitest';
import {
  STATE_SCHEMA_VERSION,
  emptyState,
  findMachines,
  machineId,
  parseState,
  removeMachines,
  secretAccount,
  upsertMachine,
} from '../../../engine/store';
import type { MachineRecord } from '../../../engine/store';

const machine = (address: string, extra: Partial<MachineRecord> = {}): MachineRecord => ({
  address,
  port: 22,
  user: 'root',
  auth: 'password',
  fingerprint: 'SHA256:x',
  trusted: true,
  addedAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

describe('state', () => {
  it('round-trips through JSON and keeps fields it does not know', () => {
    const state = { ...upsertMachine(emptyState(), machine('198.18.0.1')), journal: { last: 3 } };
    const parsed = parseState(JSON.stringify(state), 'state.json');
    expect(parsed.ok && parsed.value).toEqual(state);
  });

  it.each([
    ['not json', '{', 'store.corrupt', 'not valid JSON'],
    ['no version', '{"machines":[]}', 'store.corrupt', 'schemaVersion'],
    [
      'bad port',
      JSON.stringify({ schemaVersion: 1, machines: [machine('a', { port: 70000 })] }),
      'store.corrupt',
      'machines[0].port: expected 1..65535, got 70000',
    ],
    [
      'bad auth',
      JSON.stringify({ schemaVersion: 1, machines: [machine('a'), { ...machine('b'), auth: 'telnet' }] }),
      'store.corrupt',
      'machines[1].auth',
    ],
    [
      'newer schema',
      JSON.stringify({ schemaVersion: STATE_SCHEMA_VERSION + 1 }),
      'store.schema-newer',
      'newer Quorate',
    ],
  ])('rejects %s with a message that says where', (_name, text, code, where) => {
    const parsed = parseState(text, '/q/state.json');
    expect(!parsed.ok && parsed.error.code).toBe(code);
    expect(!parsed.ok && parsed.error.message).toContain(where);
    expect(!parsed.ok && parsed.error.message).toContain('/q/state.json');
  });

  it('replaces a machine with the same address and port, and keeps others', () => {
    let s = upsertMachine(emptyState(), machine('198.18.0.1'));
    s = upsertMachine(s, machine('198.18.0.2'));
    s = upsertMachine(s, machine('198.18.0.1', { user: 'admin', trusted: false }));
    expect(s.machines.map((m) => `${m.user}@${machineId(m)}`).sort()).toEqual([
      'admin@198.18.0.1:22',
      'root@198.18.0.2:22',
    ]);
  });

  it('keeps a replaced machine in its place (the list does not reorder after bootstrap or trust)', () => {
    let s = emptyState();
    for (const a of ['198.18.0.1', '198.18.0.2', '198.18.0.3']) {
      s = upsertMachine(s, machine(a));
    }
    s = upsertMachine(s, machine('198.18.0.1', { trusted: false }));
    expect(s.machines.map((m) => m.address)).toEqual(['198.18.0.1', '198.18.0.2', '198.18.0.3']);
  });

  it('names secrets user@address:port and finds machines by address and port', () => {
    const m = machine('198.18.0.1', { port: 2222 });
    expect(secretAccount(m)).toBe('root@198.18.0.1:2222');
    const s = upsertMachine(emptyState(), m);
    expect(findMachines(s, '198.18.0.1', 22)).toEqual([]);
    expect(removeMachines(s, findMachines(s, '198.18.0.1')).machines).toEqual([]);
  });
});
