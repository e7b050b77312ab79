import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuorateWindowApi } from '../../../engine/api/contract';
import type { QuorateService } from '../../../engine/api/service';
import { err } from '../../../engine/result';
import { memorySecrets } from '../../../engine/store';
import { createQuorateService } from '../../../engine/api/service';
import { openWindow } from './front-doors';
import type { TestSshServer } from '../../e2e/ssh-server';
import { startSshServer } from '../../e2e/ssh-server';

let home: string;
let service: QuorateService;
let api: QuorateWindowApi;
let ssh: TestSshServer;
const secrets = memorySecrets();
const events: { event: string; payload: unknown }[] = [];

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'quorate-service-'));
  ssh = await startSshServer({ hostname: 'node-a' });
  // The window's way in: the service over the RPC the renderer uses.
  ({ service, api } = openWindow({
    home,
    secrets,
    sshTimeoutMs: 5_000,
    agentBundlePath: join(home, 'no-such-agent.cjs'),
  }));
  api.on('onDidChangeMachine', (payload) => events.push({ event: 'onDidChangeMachine', payload }));
});

afterAll(async () => {
  await service?.dispose();
  await ssh?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('the API service over an in-memory transport, against a real SSH server', () => {
  it('starts with no machines and no clusters', async () => {
    expect(await api.listMachines()).toEqual({ ok: true, value: [] });
    expect(await api.listClusters()).toEqual({ ok: true, value: [] });
    expect(await api.listNotices()).toEqual({ ok: true, value: [] });
  });

  it("refuses bad params with the contract validator's path message", async () => {
    const bad = await api.addMachine({
      address: '127.0.0.1',
      port: 70000,
      user: 'root',
      auth: { kind: 'password', password: 'x' },
    });
    expect(bad.ok ? 'ok' : bad.error).toMatchObject({
      code: 'api.bad-params',
      message: 'params.port: expected an integer 1..65535',
    });
    const nested = await api.planCreateCluster({
      name: 'lab',
      nodes: [{ address: '198.18.0.1' }],
      links: [{ linknumber: 9 as 0, network: '198.18.0.0/24' }],
    });
    expect(nested.ok ? 'ok' : nested.error.message).toBe('params.links[0].linknumber: expected an integer 0..7');
  });

  it('adds a machine as untrusted, showing the host key the server presents, and keeps the password only in the secret store', async () => {
    const added = await api.addMachine({
      address: '127.0.0.1',
      port: ssh.port,
      user: ssh.user,
      auth: { kind: 'password', password: ssh.password },
    });
    expect(added.ok).toBe(true);
    if (!added.ok) {
      return;
    }
    expect(added.value).toMatchObject({
      address: '127.0.0.1',
      state: 'untrusted',
      hostKey: { algorithm: 'ssh-ed25519', fingerprint: ssh.fingerprint },
    });
    expect([...secrets.entries.values()]).toEqual([ssh.password]);
    expect(JSON.stringify(await api.listMachines())).not.toContain(ssh.password);
    expect(events.at(-1)).toMatchObject({
      event: 'onDidChangeMachine',
      payload: { removed: false, machine: { state: 'untrusted' } },
    });
  });

  it('refuses to trust a fingerprint the machine does not present', async () => {
    const wrong = await api.trustMachine({ address: '127.0.0.1', fingerprint: `SHA256:${'A'.repeat(43)}` });
    expect(wrong.ok ? 'ok' : wrong.error.code).toBe('ssh.host-key-mismatch');
    expect(ssh.commands).toEqual([]);
  });

  it('pins the confirmed key, logs in and learns the hostname', async () => {
    const trusted = await api.trustMachine({ address: '127.0.0.1', fingerprint: ssh.fingerprint });
    expect(trusted.ok ? trusted.value : trusted.error).toMatchObject({
      state: 'trusted',
      hostname: 'node-a',
      os: 'Debian GNU/Linux 12 (bookworm)',
    });
  });

  it('keeps a trusted machine trusted when it is added again, refusing new credentials that do not log in', async () => {
    const again = await api.addMachine({
      address: '127.0.0.1',
      port: ssh.port,
      user: ssh.user,
      auth: { kind: 'password', password: 'wrong' },
    });
    expect(again.ok ? 'ok' : again.error.code).toBe('ssh.auth-failed');
    const list = await api.listMachines();
    expect(list.ok && list.value[0]).toMatchObject({ state: 'failed', trusted: true });
    expect([...secrets.entries.values()]).toEqual([ssh.password]);
    const good = await api.addMachine({
      address: '127.0.0.1',
      port: ssh.port,
      user: ssh.user,
      auth: { kind: 'password', password: ssh.password },
    });
    expect(good.ok && good.value).toMatchObject({ state: 'trusted', trusted: true });
  });

  it('reports a wrong password as ssh.auth-failed and the machine as failed', async () => {
    expect((await api.removeMachine({ address: '127.0.0.1' })).ok).toBe(true);
    await api.addMachine({
      address: '127.0.0.1',
      port: ssh.port,
      user: ssh.user,
      auth: { kind: 'password', password: 'wrong' },
    });
    const r = await api.trustMachine({ address: '127.0.0.1', fingerprint: ssh.fingerprint });
    expect(r.ok ? 'ok' : r.error.code).toBe('ssh.auth-failed');
    const list = await api.listMachines();
    expect(list.ok && list.value[0]).toMatchObject({ state: 'failed', trusted: false });
  });

  it('says what is missing when the agent bundle is not built, instead of pretending to bootstrap', async () => {
    await api.addMachine({
      address: '127.0.0.1',
      port: ssh.port,
      user: ssh.user,
      auth: { kind: 'password', password: ssh.password },
    });
    await api.trustMachine({ address: '127.0.0.1', fingerprint: ssh.fingerprint });
    const r = await api.bootstrap({ addresses: ['127.0.0.1'] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toContain('no-such-agent.cjs');
    }
  });

  it('answers unknown clusters and plans with their own errors', async () => {
    const status = await api.clusterStatus({ cluster: 'nope' });
    expect(status.ok ? 'ok' : status.error.code).toBe('clusters.unknown');
    const run = await api.runPlan({ planId: 'never-planned' });
    expect(run.ok ? 'ok' : run.error.code).toBe('ops.plan-unknown');
    // Resume / Roll back only for a run that stopped with its journal unfinished.
    for (const again of [api.resumePlan({ planId: 'never-planned' }), api.rollBackPlan({ planId: 'never-planned' })]) {
      const r = await again;
      expect(r.ok ? 'ok' : r.error.code).toBe('ops.nothing-to-resume');
    }
  });

  it('forgets a machine and its secret', async () => {
    expect(await api.removeMachine({ address: '127.0.0.1' })).toEqual({ ok: true, value: null });
    expect(await api.listMachines()).toEqual({ ok: true, value: [] });
    expect(secrets.entries.size).toBe(0);
  });
});

describe('a desktop without a Secret Service', () => {
  it('fails to keep the password, then, once the user chose this session only, connects with it in memory', async () => {
    const noKeyring = {
      get: async () => err('store.keyring-unavailable', 'no Secret Service', 'install gnome-keyring'),
      set: async () => err('store.keyring-unavailable', 'no Secret Service', 'install gnome-keyring'),
      delete: async () => err('store.keyring-unavailable', 'no Secret Service', 'install gnome-keyring'),
    };
    const home2 = mkdtempSync(join(tmpdir(), 'quorate-service-nokeyring-'));
    const s = createQuorateService({ home: home2, secrets: noKeyring, sshTimeoutMs: 5_000 });
    try {
      const params = {
        address: '127.0.0.1',
        port: ssh.port,
        user: ssh.user,
        auth: { kind: 'password' as const, password: ssh.password },
      };
      const first = await s.handlers.addMachine(params);
      expect(first.ok ? 'ok' : first.error.code).toBe('store.keyring-unavailable');
      expect(await s.handlers.rememberSecretsForSession()).toEqual({ ok: true, value: null });
      const added = await s.handlers.addMachine(params);
      expect(added.ok ? added.value.state : added.error).toBe('untrusted');
      const trusted = await s.handlers.trustMachine({
        address: '127.0.0.1',
        port: ssh.port,
        fingerprint: ssh.fingerprint,
      });
      expect(trusted.ok ? trusted.value.state : trusted.error).toBe('trusted');
    } finally {
      await s.dispose();
      rmSync(home2, { recursive: true, force: true });
    }
  });
});
