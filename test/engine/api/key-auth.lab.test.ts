/**
 * Machines added with an SSH key that has no passphrase need no keyring, from either front door:
 * a cluster created from the CLI with key-authenticated machines is live in the window both without
 * a Secret Service (every keyring call fails, and none is made) and with one; and so is a state
 * file written by schema 1 (whose key machines might have had a secret: the keyring is asked once,
 * and its absence does not stop the key from logging in). Real sshd and corosync, three lab hosts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { err } from '../../../engine/result';
import type { SecretStore } from '../../../engine/store';
import { memorySecrets, statePath } from '../../../engine/store';
import type { Lab } from '../../lab/lab';
import { labSupport, labUp } from '../../lab/lab';
import type { Window } from './front-doors';
import { cli, openWindow, until } from './front-doors';

const support = labSupport();
if (!support.ok) {
  console.log(`key-auth lab test skipped: ${support.reason}`);
}

/** A machine without a Secret Service: every call fails as the OS keyring does there; calls are counted. */
function noKeyring(): SecretStore & { calls: number } {
  const unavailable = () => err('store.keyring-unavailable', 'no OS keyring is available', 'install gnome-keyring');
  const store = {
    calls: 0,
    get: async () => (store.calls++, unavailable()),
    set: async () => (store.calls++, unavailable()),
    delete: async () => (store.calls++, unavailable()),
  };
  return store;
}

let lab: Lab;
let dir: string;
const windows: Window[] = [];

async function liveIn(w: Window): Promise<void> {
  await until(
    'cluster keys quorate, every node online, in the window',
    async () => {
      const s = await w.api.clusterStatus({ cluster: 'keys' });
      return s.ok && s.value.quorate === true && s.value.nodes.every((n) => n.online) ? true : undefined;
    },
    60_000,
  );
}

describe.skipIf(!support.ok)('key-authenticated machines, with and without a Secret Service', () => {
  const keyring = noKeyring();
  let home: string;
  beforeAll(async () => {
    lab = await labUp({ hosts: 3 });
    dir = mkdtempSync(join(tmpdir(), 'quorate-key-auth-'));
    home = join(dir, 'home');
  });
  afterAll(async () => {
    for (const w of windows) {
      await w.dispose();
    }
    await lab?.down();
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates the cluster from the CLI without touching the keyring', async () => {
    const deps = { home, secrets: keyring, timeoutMs: 15_000 };
    for (const h of lab.hosts) {
      const added = await cli(deps, ['hosts', 'add', h.address, '--key', lab.sshKey.privateKeyPath, '--json']);
      expect(added.code).toBe(0);
      const { fingerprint } = added.json as { fingerprint: string };
      expect((await cli(deps, ['hosts', 'trust', h.address, '--fingerprint', fingerprint, '--json'])).code).toBe(0);
    }
    const created = await cli(deps, ['create', 'keys', ...lab.hosts.flatMap((h) => ['--node', h.address]), '--json']);
    expect([created.code, created.json]).toMatchObject([0, { ok: true, verified: true }]);
    expect(keyring.calls).toBe(0);
  });

  it('is live in the window without a Secret Service, never asking it', async () => {
    const w = openWindow({ home, secrets: keyring, sshTimeoutMs: 15_000 });
    windows.push(w);
    await liveIn(w);
    expect(keyring.calls).toBe(0);
    await w.dispose();
    windows.pop();
  });

  it('is live in the window with a Secret Service', async () => {
    const w = openWindow({ home, secrets: memorySecrets(), sshTimeoutMs: 15_000 });
    windows.push(w);
    await liveIn(w);
    await w.dispose();
    windows.pop();
  });

  it('is live from a schema-1 state file without a Secret Service', async () => {
    const state = JSON.parse(readFileSync(statePath(home), 'utf8')) as { schemaVersion: number };
    writeFileSync(statePath(home), JSON.stringify({ ...state, schemaVersion: 1 }));
    const before = keyring.calls;
    const w = openWindow({ home, secrets: keyring, sshTimeoutMs: 15_000 });
    windows.push(w);
    await liveIn(w);
    // The old entry could not be looked at, so the mark stays for the next start; the key logged in.
    expect(keyring.calls).toBeGreaterThan(before);
  });
});
