/**
 * Re-trusting a machine whose SSH host key changed (reinstalled), through the API over the RPC
 * wire, against real ssh2 servers: "the machine" is a loopback port that forwards to server A,
 * then to server B (another host key), as a reinstall at the same address looks to Quorate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Machine, QuorateWindowApi } from '../../../engine/api/contract';
import type { QuorateService } from '../../../engine/api/service';
import { fingerprintOfKeyBlob } from '../../../engine/ssh/fingerprint';
import { memorySecrets } from '../../../engine/store';
import { openWindow } from './front-doors';
import type { TestServer } from '../ssh/ssh2-server';
import { generateHostKey, startSwitch, startTestServer } from '../ssh/ssh2-server';

const PASSWORD = 'retrust horse';

function fingerprintOf(privateKey: string): string {
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) {
    throw parsed;
  }
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  return fingerprintOfKeyBlob(key.getPublicSSH()).fingerprint;
}

const keyA = generateHostKey();
const keyB = generateHostKey();
const fpA = fingerprintOf(keyA.private);
const fpB = fingerprintOf(keyB.private);

let home: string;
let service: QuorateService;
let api: QuorateWindowApi;
let serverA: TestServer;
let serverB: TestServer;
let machine: Awaited<ReturnType<typeof startSwitch>>;
const seen: Machine[] = [];

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'quorate-retrust-'));
  serverA = await startTestServer({ hostKey: keyA.private, user: 'root', password: PASSWORD });
  serverB = await startTestServer({ hostKey: keyB.private, user: 'root', password: PASSWORD });
  machine = await startSwitch();
  machine.target.port = serverA.port;
  // The window's way in: the service over the RPC the renderer uses.
  ({ service, api } = openWindow({
    home,
    secrets: memorySecrets(),
    sshTimeoutMs: 5_000,
    agentBundlePath: join(home, 'no-such-agent.cjs'),
  }));
  api.on('onDidChangeMachine', ({ machine: m }) => seen.push(m));
});

afterAll(async () => {
  await service?.dispose();
  await machine?.close();
  await serverA?.close();
  await serverB?.close();
  rmSync(home, { recursive: true, force: true });
});

const address = '127.0.0.1';
const hostKeyCommands = (s: TestServer): number => s.commands.filter((c) => c.includes('hostname')).length;

describe('re-trusting a machine whose host key changed', () => {
  it('pins key A and logs in', async () => {
    expect(fpA).not.toBe(fpB);
    const added = await api.addMachine({
      address,
      port: machine.port,
      user: 'root',
      auth: { kind: 'password', password: PASSWORD },
    });
    expect(added.ok ? added.value.hostKey?.fingerprint : added.error.message).toBe(fpA);
    const trusted = await api.trustMachine({ address, fingerprint: fpA });
    expect(trusted.ok ? trusted.value : trusted.error).toMatchObject({
      state: 'trusted',
      hostKey: { fingerprint: fpA },
      changedHostKey: null,
    });
    expect(hostKeyCommands(serverA)).toBe(1);
  });

  it('refuses with ssh.host-key-changed naming both keys once the machine presents key B, and shows B beside A', async () => {
    machine.target.port = serverB.port;
    const again = await api.trustMachine({ address, fingerprint: fpA });
    expect(again.ok).toBe(false);
    if (again.ok) {
      return;
    }
    expect(again.error.code).toBe('ssh.host-key-changed');
    expect(again.error.message).toContain(fpA);
    expect(again.error.message).toContain(fpB);
    expect(again.error.hint).toMatch(/ssh-keygen -lf \/etc\/ssh\/ssh_host_ed25519_key\.pub/);
    const listed = await api.listMachines();
    const m = listed.ok ? listed.value.find((x) => x.address === address) : undefined;
    expect(m).toMatchObject({
      hostKey: { fingerprint: fpA },
      changedHostKey: { algorithm: 'ssh-ed25519', fingerprint: fpB },
      lastError: { code: 'ssh.host-key-changed' },
    });
    expect(seen.at(-1)?.changedHostKey?.fingerprint).toBe(fpB);
    expect(hostKeyCommands(serverB)).toBe(0);
  });

  it('refuses to replace the key without the explicit request, even when given the new fingerprint', async () => {
    const plain = await api.trustMachine({ address, fingerprint: fpB });
    expect(plain.ok ? 'ok' : plain.error.code).toBe('ssh.host-key-changed');
    expect(hostKeyCommands(serverB)).toBe(0);
  });

  it('refuses a replacement that names a previous key other than the pinned one', async () => {
    const stale = await api.trustMachine({
      address,
      fingerprint: fpB,
      replaceChangedKey: { previousFingerprint: fpB },
    });
    expect(stale.ok ? 'ok' : stale.error.code).toBe('ssh.host-key-changed');
    expect(hostKeyCommands(serverB)).toBe(0);
  });

  it('refuses a wrong confirmation of the new key and keeps key A pinned', async () => {
    const wrong = await api.trustMachine({
      address,
      fingerprint: `SHA256:${'B'.repeat(43)}`,
      replaceChangedKey: { previousFingerprint: fpA },
    });
    expect(wrong.ok ? 'ok' : wrong.error).toMatchObject({ code: 'ssh.host-key-mismatch' });
    if (!wrong.ok) {
      expect(wrong.error.message).toContain(`${fpA} stays pinned`);
    }
    const listed = await api.listMachines();
    const m = listed.ok ? listed.value.find((x) => x.address === address) : undefined;
    expect(m).toMatchObject({ hostKey: { fingerprint: fpA }, changedHostKey: { fingerprint: fpB } });
    expect(hostKeyCommands(serverB)).toBe(0);
  });

  it('refuses a malformed replacement request at the contract', async () => {
    const bad = await api.trustMachine({ address, fingerprint: fpB, replaceChangedKey: { previousFingerprint: 'A' } });
    expect(bad.ok ? 'ok' : bad.error.message).toMatch(/^params\.replaceChangedKey\.previousFingerprint: /);
  });

  it('pins key B on the explicit confirmation of B with A as the previous key, and logs in with it', async () => {
    const replaced = await api.trustMachine({
      address,
      fingerprint: fpB,
      replaceChangedKey: { previousFingerprint: fpA },
    });
    expect(replaced.ok ? replaced.value : replaced.error).toMatchObject({
      state: 'trusted',
      hostKey: { fingerprint: fpB },
      changedHostKey: null,
      lastError: null,
    });
    expect(hostKeyCommands(serverB)).toBe(1);
    // Pinned for good: a plain trust of B (no replacement) now logs in again, and A would be the changed one.
    const plain = await api.trustMachine({ address, fingerprint: fpB });
    expect(plain.ok).toBe(true);
    expect(hostKeyCommands(serverB)).toBe(2);
  });

  it('notes the changed key when any operation meets it, so the window can offer the re-trust', async () => {
    machine.target.port = serverA.port;
    const before = serverA.commands.length;
    const networks = await api.listNetworks({ addresses: [address] });
    expect(networks.ok ? 'ok' : networks.error.code).toBe('ssh.host-key-changed');
    const listed = await api.listMachines();
    const m = listed.ok ? listed.value.find((x) => x.address === address) : undefined;
    expect(m).toMatchObject({
      hostKey: { fingerprint: fpB },
      changedHostKey: { fingerprint: fpA },
      lastError: { code: 'ssh.host-key-changed' },
    });
    expect(m?.lastError?.hint).toContain('Review the new key');
    expect(serverA.commands.length).toBe(before);
  });
});
