import { describe, expect, it } from 'vitest';
import type { Machine } from '../../engine/api/contract';
import { err, ok } from '../../engine/result';
import { consoleCommand, fingerprintIn } from '../../renderer/src/lib/host-key';
import { MachinesState } from '../../renderer/src/state/machines.svelte';
import { fakeApi } from './fake-api';

const OLD = `SHA256:${'a'.repeat(42)}Q`;
const NEW = `SHA256:${'b'.repeat(40)}+/9`;

const machine = (over: Partial<Machine> = {}): Machine => ({
  address: '198.18.0.11',
  port: 22,
  user: 'root',
  authKind: 'password',
  keyPath: null,
  state: 'failed',
  trusted: true,
  addedAt: '2026-01-01T00:00:00.000Z',
  cluster: 'lab',
  hostKey: { algorithm: 'ssh-ed25519', fingerprint: OLD },
  changedHostKey: { algorithm: 'ssh-ed25519', fingerprint: NEW },
  hostname: 'pve1',
  os: null,
  lastError: { code: 'ssh.host-key-changed', message: 'changed', hint: 'check' },
  ...over,
});

describe('reading a confirmed fingerprint', () => {
  it('takes the fingerprint out of a pasted ssh-keygen -lf line', () => {
    expect(fingerprintIn(`256 ${NEW} root@pve1 (ED25519)\n`)).toBe(NEW);
    expect(fingerprintIn(`  ${NEW} `)).toBe(NEW);
  });

  it('recognises nothing in a truncated, over-long or case-changed fingerprint', () => {
    expect(fingerprintIn(NEW.slice(0, -1))).toBeNull();
    expect(fingerprintIn(`${NEW}x`)).toBeNull();
    expect(fingerprintIn(NEW.replace('SHA256:', 'sha256:'))).toBeNull();
    expect(fingerprintIn(NEW.toUpperCase())).not.toBe(NEW);
  });

  it('refuses to pick one of two different fingerprints in a paste', () => {
    expect(fingerprintIn(`${OLD}\n${NEW}`)).toBeNull();
    expect(fingerprintIn(`${NEW} and again ${NEW}`)).toBe(NEW);
  });

  it('names the key file of the algorithm in the console command', () => {
    expect(consoleCommand('ssh-ed25519')).toBe('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');
    expect(consoleCommand('ecdsa-sha2-nistp256')).toBe('ssh-keygen -lf /etc/ssh/ssh_host_ecdsa_key.pub');
    expect(consoleCommand('rsa-sha2-512')).toBe('ssh-keygen -lf /etc/ssh/ssh_host_rsa_key.pub');
  });
});

describe('MachinesState.retrust', () => {
  it('asks the engine to replace exactly the pinned key the user saw, and shows the re-pinned machine', async () => {
    const repinned = machine({
      state: 'ready',
      hostKey: { algorithm: 'ssh-ed25519', fingerprint: NEW },
      changedHostKey: null,
      lastError: null,
    });
    const f = fakeApi({ listMachines: () => ok([machine()]), trustMachine: () => ok(repinned) });
    const s = new MachinesState(f.api);
    await s.load();
    const r = await s.retrust('198.18.0.11', OLD, NEW);
    expect(r.ok).toBe(true);
    expect(f.calls.at(-1)).toEqual({
      method: 'trustMachine',
      params: { address: '198.18.0.11', fingerprint: NEW, replaceChangedKey: { previousFingerprint: OLD } },
    });
    expect(s.byAddress('198.18.0.11')).toMatchObject({
      state: 'ready',
      hostKey: { fingerprint: NEW },
      changedHostKey: null,
    });
  });

  it('keeps the machine as it was when the engine refuses', async () => {
    const f = fakeApi({
      listMachines: () => ok([machine()]),
      trustMachine: () => err('ssh.host-key-mismatch', 'presents another key', 'check the console'),
    });
    const s = new MachinesState(f.api);
    await s.load();
    const r = await s.retrust('198.18.0.11', OLD, NEW);
    expect(r.ok ? 'ok' : r.error.code).toBe('ssh.host-key-mismatch');
    expect(s.byAddress('198.18.0.11')).toMatchObject({
      hostKey: { fingerprint: OLD },
      changedHostKey: { fingerprint: NEW },
    });
  });
});
