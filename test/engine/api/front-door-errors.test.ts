/**
 * The CLI and the window give the same error code and message for the same failure, because both
 * call the same use case over the one connect path: unknown machine, untrusted machine, changed host
 * key, wrong password, unreachable host. Only the hint differs, each fitting its front door (a
 * command in the terminal, a button or dialog in the window). In-process ssh2 servers on loopback;
 * "the machine" is a loopback port that forwards to server A (or B, another host key).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuorateError } from '../../../engine/result';
import { memorySecrets, secretAccount, updateState, upsertMachine } from '../../../engine/store';
import type { TestServer } from '../ssh/ssh2-server';
import { generateHostKey, startSwitch, startTestServer } from '../ssh/ssh2-server';
import type { Window } from './front-doors';
import { cli, openWindow } from './front-doors';

const PASSWORD = 'front doors agree';

let dir: string;
let serverA: TestServer;
let serverB: TestServer;
let machine: Awaited<ReturnType<typeof startSwitch>>;
let window: Window;
const secrets = memorySecrets();
let deps: { home: string; secrets: typeof secrets; timeoutMs: number; agentBundlePath: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quorate-front-doors-'));
  const bundle = join(dir, 'agent.cjs');
  writeFileSync(bundle, '// not run: every case here fails at connect\n');
  serverA = await startTestServer({ hostKey: generateHostKey().private, user: 'root', password: PASSWORD });
  serverB = await startTestServer({ hostKey: generateHostKey().private, user: 'root', password: PASSWORD });
  machine = await startSwitch();
  machine.target.port = serverA.port;
  deps = { home: join(dir, 'home'), secrets, timeoutMs: 5_000, agentBundlePath: bundle };
  window = openWindow({
    home: deps.home,
    secrets,
    sshTimeoutMs: 5_000,
    agentBundlePath: bundle,
    watchOnStart: false,
  });
});

afterAll(async () => {
  await window?.dispose();
  await machine?.close();
  await serverA?.close();
  await serverB?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The error both front doors give when asked to bootstrap `address`. */
async function bothBootstrap(address: string): Promise<{ cli: QuorateError; window: QuorateError }> {
  const fromCli = await cli(deps, ['bootstrap', address, '--json']);
  expect(fromCli.code).toBe(1);
  const fromWindow = await window.api.bootstrap({ addresses: [address] });
  if (!fromWindow.ok) {
    throw new Error(fromWindow.error.message);
  }
  return {
    cli: (fromCli.json as { machines: { error: QuorateError }[] }).machines[0]!.error,
    window: fromWindow.value.machines[0]!.error!,
  };
}

function expectSame(e: { cli: QuorateError; window: QuorateError }, code: string): void {
  expect(e.cli.code).toBe(code);
  expect(e.window.code).toBe(code);
  expect(e.cli.message).toBe(e.window.message);
}

describe('the CLI and the window agree on errors', () => {
  it('an unknown machine', async () => {
    const e = await bothBootstrap('198.18.250.250');
    expectSame(e, 'machines.unknown');
    expect(e.cli.hint).toContain('quorate hosts add 198.18.250.250');
    expect(e.window.hint).toContain('Machines → Add');
    const trustCli = await cli(deps, [
      'hosts',
      'trust',
      '198.18.250.250',
      '--fingerprint',
      `SHA256:${'A'.repeat(43)}`,
      '--json',
    ]);
    const trustWindow = await window.api.trustMachine({
      address: '198.18.250.250',
      fingerprint: `SHA256:${'A'.repeat(43)}`,
    });
    expect((trustCli.json as { error: QuorateError }).error.message).toBe(
      trustWindow.ok ? 'trusted?' : trustWindow.error.message,
    );
  });

  it('a machine whose host key was never confirmed', async () => {
    const added = await cli(
      deps,
      ['hosts', 'add', '127.0.0.1', '--port', String(machine.port), '--password-stdin', '--json'],
      `${PASSWORD}\n`,
    );
    expect(added.json).toMatchObject({ trusted: false });
    const e = await bothBootstrap('127.0.0.1');
    expectSame(e, 'machines.untrusted');
    expect(e.cli.hint).toMatch(/quorate hosts trust 127\.0\.0\.1 --port \d+ --fingerprint SHA256:/);
    expect(e.window.hint).not.toContain('quorate ');
  });

  it('a wrong password (the stored one no longer logs in)', async () => {
    const fp = ((await window.api.listMachines()) as { value: { hostKey: { fingerprint: string } }[] }).value[0]!
      .hostKey.fingerprint;
    expect((await window.api.trustMachine({ address: '127.0.0.1', fingerprint: fp })).ok).toBe(true);
    await secrets.set(
      secretAccount({ user: 'root', address: '127.0.0.1', port: machine.port }),
      'changed on the machine',
    );
    expectSame(await bothBootstrap('127.0.0.1'), 'ssh.auth-failed');
    await secrets.set(secretAccount({ user: 'root', address: '127.0.0.1', port: machine.port }), PASSWORD);
  });

  it('a changed host key', async () => {
    machine.target.port = serverB.port;
    try {
      const e = await bothBootstrap('127.0.0.1');
      expectSame(e, 'ssh.host-key-changed');
      expect(e.cli.hint).toContain('quorate hosts trust 127.0.0.1');
      expect(e.window.hint).toContain('Machines → Review the new key');
      expect(e.window.hint).not.toContain('quorate ');
    } finally {
      machine.target.port = serverA.port;
    }
  });

  it('an unreachable host', async () => {
    const userKey = join(dir, 'id_ed25519');
    writeFileSync(userKey, generateHostKey().private, { mode: 0o600 });
    const saved = await updateState(
      (s) =>
        upsertMachine(s, {
          address: '127.0.0.2',
          port: 1,
          user: 'root',
          auth: 'key',
          keyPath: userKey,
          fingerprint: `SHA256:${'B'.repeat(43)}`,
          trusted: true,
          addedAt: new Date(0).toISOString(),
        }),
      deps.home,
    );
    expect(saved.ok).toBe(true);
    expectSame(await bothBootstrap('127.0.0.2'), 'ssh.refused');
  });
});
