// `quorate hosts …` against an in-process ssh2 server (the lab test repeats the JSON shape on real sshd).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHostsCommand } from '../../../engine/cli/hosts';
import { UsageError } from '../../../engine/cli/io';
import type { CliIo } from '../../../engine/cli/io';
import { saveCluster } from '../../../engine/ops/registry.fs';
import { keyringSecrets, memorySecrets, readState } from '../../../engine/store';
import { generateHostKey, startTestServer } from '../ssh/ssh2-server';
import type { TestServer } from '../ssh/ssh2-server';

const root = mkdtempSync(join(tmpdir(), 'quorate-hosts-cli-'));
const hostKey = generateHostKey();
const userKey = generateHostKey();
const userKeyPath = join(root, 'id_ed25519');
writeFileSync(userKeyPath, userKey.private, { mode: 0o600 });
const PASSWORD = 'pw-4e1c-not-on-disk';
let server: TestServer;
let fingerprint: string;

beforeAll(async () => {
  server = await startTestServer({
    hostKey: hostKey.private,
    user: 'root',
    password: PASSWORD,
    publicKey: userKey.public,
  });
  writeFileSync(join(root, 'host.pub'), hostKey.public);
  fingerprint = execFileSync('ssh-keygen', ['-lf', join(root, 'host.pub')], { encoding: 'utf8' }).split(' ')[1] ?? '';
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function setup(stdin = '') {
  const home = join(root, `home${++n}`);
  const out: string[] = [];
  const errs: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => errs.push(t), readStdin: async () => stdin };
  const secrets = memorySecrets();
  const run = (...argv: string[]) => runHostsCommand(argv, io, { home, secrets, timeoutMs: 5_000 });
  const json = () => JSON.parse(out.join('').trim().split('\n').pop() ?? 'null');
  return { home, io, secrets, run, json, out, errs };
}

describe('quorate hosts', () => {
  it('add without --trust prints the fingerprint, records the machine untrusted and logs in to nothing', async () => {
    const t = setup(`${PASSWORD}\n`);
    const before = server.authAttempts.length;
    const code = await t.run('add', '127.0.0.1', '--port', String(server.port), '--password-stdin', '--json');
    expect(code).toBe(0);
    expect(t.json()).toEqual({ address: '127.0.0.1', fingerprint, trusted: false });
    expect(Object.keys(t.json())).toEqual(['address', 'fingerprint', 'trusted']);
    expect(server.authAttempts.length).toBe(before);
    const state = await readState(t.home);
    expect(state.ok && state.value.machines).toMatchObject([
      { address: '127.0.0.1', port: server.port, user: 'root', auth: 'password', fingerprint, trusted: false },
    ]);
    expect(t.secrets.entries.get(`root@127.0.0.1:${server.port}`)).toBe(PASSWORD);
    expect(readFileSync(join(t.home, 'state.json'), 'utf8')).not.toContain(PASSWORD);
  });

  it('refuses to forget a machine that is a node of a cluster, unless forced', async () => {
    const t = setup();
    expect(
      await t.run(
        'add',
        'root@127.0.0.1',
        '--port',
        String(server.port),
        '--key',
        userKeyPath,
        '--trust',
        fingerprint,
        '--json',
      ),
    ).toBe(0);
    await saveCluster({ name: 'lab', provider: 'corosync', nodes: { node1: `127.0.0.1:${server.port}` } }, t.home);
    expect(await t.run('remove', '127.0.0.1', '--json')).toBe(1);
    expect(t.json().error).toMatchObject({ code: 'machines.in-cluster' });
    expect(t.json().error.message).toContain('lab');
    const kept = await readState(t.home);
    expect(kept.ok && kept.value.machines.length).toBe(1);
    expect(await t.run('remove', '127.0.0.1', '--force', '--json')).toBe(0);
  });

  it('trust refuses a fingerprint the host does not present and changes nothing', async () => {
    const t = setup(`${PASSWORD}\n`);
    await t.run('add', '127.0.0.1', '--port', String(server.port), '--password-stdin', '--json');
    t.out.length = 0;
    const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const code = await t.run('trust', '127.0.0.1', '--fingerprint', wrong, '--json');
    expect(code).toBe(1);
    expect(t.json().error.code).toBe('ssh.host-key-mismatch');
    expect(t.json().error.message).toContain(fingerprint);
    expect(t.errs.join('')).toMatch(/^error: .*\nhint: /);
    const state = await readState(t.home);
    expect(state.ok && state.value.machines[0]?.trusted).toBe(false);
  });

  it('trust with the presented fingerprint logs in with the stored password and pins the key', async () => {
    const t = setup(`${PASSWORD}\n`);
    await t.run('add', '127.0.0.1', '--port', String(server.port), '--password-stdin', '--json');
    t.out.length = 0;
    const attempts = server.authAttempts.length;
    const code = await t.run('trust', '127.0.0.1', '--fingerprint', fingerprint, '--json');
    expect(code).toBe(0);
    expect(t.json()).toEqual({ address: '127.0.0.1', fingerprint, trusted: true });
    expect(server.authAttempts.slice(attempts)).toContain('password');
    const state = await readState(t.home);
    expect(state.ok && state.value.machines[0]?.trusted).toBe(true);
  });

  it('add --trust with a key file logs in at once; list and remove show the fixed shapes', async () => {
    const t = setup();
    expect(
      await t.run(
        'add',
        `root@127.0.0.1`,
        '--port',
        String(server.port),
        '--key',
        userKeyPath,
        '--trust',
        fingerprint,
        '--json',
      ),
    ).toBe(0);
    expect(t.json()).toEqual({ address: '127.0.0.1', fingerprint, trusted: true });
    expect(t.secrets.entries.size).toBe(0);
    expect(await t.run('list', '--json')).toBe(0);
    expect(t.json()).toEqual({
      hosts: [
        {
          address: '127.0.0.1',
          port: server.port,
          user: 'root',
          auth: 'key',
          keyPath: userKeyPath,
          fingerprint,
          trusted: true,
          addedAt: expect.any(String),
        },
      ],
    });
    expect(await t.run('list')).toBe(0);
    expect(t.out.join('')).toMatch(
      new RegExp(`127\\.0\\.0\\.1:${server.port}\\s+root\\s+key\\s+yes\\s+${fingerprint.replace(/[+/]/g, '\\$&')}`),
    );
    expect(await t.run('remove', '127.0.0.1', '--json')).toBe(0);
    expect(t.json()).toEqual({ removed: [{ address: '127.0.0.1', port: server.port, user: 'root' }] });
    expect(await t.run('remove', '127.0.0.1', '--json')).toBe(1);
    expect(t.json().error.code).toBe('machines.unknown');
  });

  it('add --trust with a wrong password stores nothing and says which methods the server accepts', async () => {
    const t = setup('wrong\n');
    const code = await t.run(
      'add',
      '127.0.0.1',
      '--port',
      String(server.port),
      '--password-stdin',
      '--trust',
      fingerprint,
      '--json',
    );
    expect(code).toBe(1);
    expect(t.json().error).toMatchObject({
      code: 'ssh.auth-failed',
      message: expect.stringContaining('server accepts: publickey, password'),
    });
    expect(t.secrets.entries.size).toBe(0);
    expect(existsSync(join(t.home, 'state.json'))).toBe(false);
  });

  it('refuses a password login without an OS keyring before contacting the host, and puts the password nowhere on disk', async () => {
    const t = setup(`${PASSWORD}\n`);
    // No session bus: neither the address variable nor libdbus's fallback, $XDG_RUNTIME_DIR/bus.
    const saved = { bus: process.env.DBUS_SESSION_BUS_ADDRESS, runtime: process.env.XDG_RUNTIME_DIR };
    delete process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.XDG_RUNTIME_DIR = join(root, 'no-runtime-dir');
    const before = server.authAttempts.length;
    try {
      const code = await runHostsCommand(
        ['add', '127.0.0.1', '--port', String(server.port), '--password-stdin', '--trust', fingerprint, '--json'],
        t.io,
        { home: t.home, secrets: keyringSecrets(`quorate-test-${process.pid}`), timeoutMs: 5_000 },
      );
      expect(code).toBe(1);
      expect(t.json().error.code).toBe('store.keyring-unavailable');
      expect(t.errs.join('')).toContain('hint: ');
    } finally {
      for (const [key, value] of [
        ['DBUS_SESSION_BUS_ADDRESS', saved.bus],
        ['XDG_RUNTIME_DIR', saved.runtime],
      ] as const) {
        if (value === undefined) {
          delete process.env[key];
        } else {
          process.env[key] = value;
        }
      }
    }
    expect(server.authAttempts.length).toBe(before);
    const files = existsSync(t.home)
      ? readdirSync(t.home, { recursive: true, encoding: 'utf8' })
          .map((f) => join(t.home, f))
          .filter((f) => statSync(f).isFile())
      : [];
    for (const f of files) {
      expect(readFileSync(f, 'utf8')).not.toContain(PASSWORD);
    }
  });

  it('reports an unreachable port as ssh.refused in JSON', async () => {
    const t = setup();
    const code = await t.run('add', '127.0.0.1', '--port', '1', '--key', userKeyPath, '--json');
    expect(code).toBe(1);
    expect(t.json().error).toMatchObject({ code: 'ssh.refused', hint: expect.any(String) });
  });

  it.each([
    [['add', '127.0.0.1']],
    [['add', '127.0.0.1', '--key', 'k', '--password-stdin']],
    [['add', '127.0.0.1', '--key', 'k', '--trust', 'MD5:aa:bb']],
    [['add', '127.0.0.1', '--key', 'k', '--port', '70000']],
    [['trust', '127.0.0.1']],
    [['frobnicate']],
    [['add', '127.0.0.1', '--bogus']],
  ])('rejects bad arguments %j as a usage error', async (argv) => {
    const t = setup();
    await expect(runHostsCommand(argv, t.io, { home: t.home, secrets: t.secrets })).rejects.toBeInstanceOf(UsageError);
  });
});
