import { describe, expect, it } from 'vitest';
import { err } from '../../../engine/result';
import type { SecretStore } from '../../../engine/store';
import { memorySecrets } from '../../../engine/store';
import { withSessionSecrets } from '../../../engine/store/secrets-session';

/** A desktop without a Secret Service: every keyring call fails as the keyring adapter reports it. */
const noKeyring: SecretStore = {
  get: async () => err('store.keyring-unavailable', 'no Secret Service', 'install gnome-keyring'),
  set: async () => err('store.keyring-unavailable', 'no Secret Service', 'install gnome-keyring'),
  delete: async () => err('store.keyring-unavailable', 'no Secret Service', 'install gnome-keyring'),
};

describe('secrets for this session only', () => {
  it('fails as the keyring does until the user chooses memory, then keeps secrets for the run', async () => {
    const s = withSessionSecrets(noKeyring);
    expect((await s.set('root@198.18.0.1:22', 'pw')).ok).toBe(false);
    s.keepInMemory();
    expect(s.inMemory).toBe(true);
    expect(await s.set('root@198.18.0.1:22', 'pw')).toEqual({ ok: true, value: undefined });
    expect(await s.get('root@198.18.0.1:22')).toEqual({ ok: true, value: 'pw' });
    expect(await s.get('root@198.18.0.2:22')).toEqual({ ok: true, value: null });
    expect(await s.delete('root@198.18.0.1:22')).toEqual({ ok: true, value: true });
    expect(await s.get('root@198.18.0.1:22')).toEqual({ ok: true, value: null });
  });

  it('still reads what a working keyring holds, and writes there until told otherwise', async () => {
    const keyring = memorySecrets();
    await keyring.set('a', 'from-keyring');
    const s = withSessionSecrets(keyring);
    expect(await s.get('a')).toEqual({ ok: true, value: 'from-keyring' });
    await s.set('b', 'kept');
    expect(await keyring.get('b')).toEqual({ ok: true, value: 'kept' });
    s.keepInMemory();
    await s.set('c', 'memory only');
    expect(await keyring.get('c')).toEqual({ ok: true, value: null });
    expect(await s.get('c')).toEqual({ ok: true, value: 'memory only' });
  });
});
