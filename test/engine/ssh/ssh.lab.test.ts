// The SSH layer and `quorate hosts` against real OpenSSH sshd in lab hosts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHostsCommand } from '../../../engine/cli/hosts';
import type { CliIo } from '../../../engine/cli/io';
import { connectSsh, probeHostKey } from '../../../engine/ssh';
import type { SshSession, SshTarget } from '../../../engine/ssh';
import { memorySecrets, readState } from '../../../engine/store';
import { labSupport, labUp } from '../../lab/lab';
import type { Lab, LabHost } from '../../lab/lab';

const support = labSupport();
if (!support.ok) {
  console.log(`skipping the SSH lab tests: ${support.reason}`);
}

describe.skipIf(!support.ok)('SSH against real sshd', () => {
  let lab: Lab;
  let node1: LabHost;
  let node2: LabHost;
  let admin: { user: string; password: string };
  const pins = new Map<string, string>();
  const sessions: SshSession[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'quorate-ssh-lab-'));

  /** What the host's own ssh-keygen says its ed25519 key is. */
  async function consoleFingerprint(host: LabHost): Promise<string> {
    const out = await lab.exec(host.index, 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');
    expect(out.exitCode).toBe(0);
    return out.stdout.split(' ')[1] ?? '';
  }

  async function open(target: SshTarget, opts: Parameters<typeof connectSsh>[1] = {}): Promise<SshSession> {
    const result = await connectSsh(target, { pinnedFingerprint: pins.get(target.address), ...opts });
    if (!result.ok) {
      throw new Error(`${result.error.code}: ${result.error.message}`);
    }
    sessions.push(result.value);
    return result.value;
  }

  const root = (host: LabHost): SshTarget => ({
    address: host.address,
    user: 'root',
    auth: { kind: 'password', password: host.rootPassword },
  });

  beforeAll(async () => {
    lab = await labUp({ hosts: 2, sudoUser: [2] });
    node1 = lab.host(1);
    node2 = lab.host(2);
    if (!node2.sudoUser) {
      throw new Error('lab host 2 has no sudo user');
    }
    admin = node2.sudoUser;
    for (const h of [node1, node2]) {
      pins.set(h.address, await consoleFingerprint(h));
    }
  });

  afterAll(async () => {
    for (const s of sessions) {
      await s.close();
    }
    await lab?.down();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('reads the host key without logging in, equal to ssh-keygen -lf on the host', async () => {
    const probed = await probeHostKey(node1.address, 22);
    expect(probed.ok && probed.value).toEqual({ fingerprint: pins.get(node1.address), algorithm: 'ssh-ed25519' });
  });

  it('refuses an unknown host key and carries the fingerprint', async () => {
    const result = await connectSsh(root(node1));
    expect(!result.ok && result.error.code).toBe('ssh.host-key-unknown');
    expect(!result.ok && (result.error as unknown as { fingerprint: string }).fingerprint).toBe(
      pins.get(node1.address),
    );
  });

  it('logs in as root with a password and runs commands in the host', async () => {
    const s = await open(root(node1));
    const result = await s.run('hostname');
    expect(result.ok && result.value).toEqual({ stdout: 'node1\n', stderr: '', exitCode: 0, signal: null });
  });

  it('logs in as root with a key file', async () => {
    const s = await open({
      address: node1.address,
      user: 'root',
      auth: { kind: 'key', path: lab.sshKey.privateKeyPath },
    });
    const result = await s.run('id -un');
    expect(result.ok && result.value.stdout).toBe('root\n');
  });

  it('reports a wrong password as auth-failed, listing the methods sshd offered', async () => {
    const result = await connectSsh(
      { ...root(node1), auth: { kind: 'password', password: 'wrong' } },
      { pinnedFingerprint: pins.get(node1.address) },
    );
    expect(!result.ok && result.error.code).toBe('ssh.auth-failed');
    expect(!result.ok && result.error.message).toContain('server accepts: publickey, password');
    expect(!result.ok && result.error.message).toContain(`root@${node1.address}:22`);
  });

  it('returns exit codes and streams stdout and stderr in order', async () => {
    const s = await open(root(node1));
    const chunks: string[] = [];
    const result = await s.run('echo a; sleep 0.2; echo b >&2; sleep 0.2; echo c; exit 4', {
      progress: (c) => chunks.push(`${c.stream}:${c.text}`),
    });
    expect(result.ok && result.value).toEqual({ stdout: 'a\nc\n', stderr: 'b\n', exitCode: 4, signal: null });
    expect(chunks).toEqual(['stdout:a\n', 'stderr:b\n', 'stdout:c\n']);
  });

  it('kills a command that outlives its timeout, in the host too', async () => {
    const s = await open(root(node1));
    const started = Date.now();
    const result = await s.run('sleep 31.5', { timeoutMs: 500 });
    expect(!result.ok && result.error.code).toBe('ssh.command-timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
    let left = '';
    for (let i = 0; i < 20; i++) {
      left = (await lab.exec(node1.index, 'ps -eo pid,args | grep "[s]leep 31.5" || true')).stdout.trim();
      if (left === '') {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe('');
  });

  it('uploads over SFTP atomically: replaces the file (new inode), sets the mode, leaves no temp file', async () => {
    const s = await open(root(node1));
    await lab.exec(node1.index, 'mkdir -p /root/up && echo old > /root/up/conf && chmod 0644 /root/up/conf');
    const inodeBefore = (await lab.exec(node1.index, 'stat -c %i /root/up/conf')).stdout.trim();
    const content = `totem {\n  version: 2\n}\n${'x'.repeat(200_000)}\n`;
    const result = await s.upload('/root/up/conf', content, 0o600);
    expect(result).toEqual({ ok: true, value: undefined });
    const after = await lab.exec(
      node1.index,
      'stat -c "%a %i %s" /root/up/conf; ls -a /root/up; sha256sum /root/up/conf',
    );
    const [mode, inode, size] = after.stdout.split('\n')[0]!.split(' ');
    expect(mode).toBe('600');
    expect(inode).not.toBe(inodeBefore);
    expect(Number(size)).toBe(Buffer.byteLength(content));
    expect(after.stdout.split('\n').slice(1, 4)).toEqual(['.', '..', 'conf']);
    const local = (await import('node:crypto')).createHash('sha256').update(content).digest('hex');
    expect(after.stdout).toContain(local);
  });

  it('reports an upload into a missing directory as upload-failed', async () => {
    const s = await open(root(node1));
    const result = await s.upload('/nonexistent/dir/file', 'x', 0o644);
    expect(!result.ok && result.error.code).toBe('ssh.upload-failed');
  });

  it('forwards a stream to a unix socket in the host (no TCP port)', async () => {
    const socket = '/run/quorate-echo.sock';
    const pid = await lab.spawnDaemon(node1.index, [
      '/usr/bin/node',
      '-e',
      `require('net').createServer((c) => c.on('data', (d) => c.write('echo:' + d))).listen(${JSON.stringify(socket)})`,
    ]);
    try {
      for (let i = 0; i < 50; i++) {
        if ((await lab.exec(node1.index, `test -S ${socket} && echo yes || true`)).stdout.trim() === 'yes') {
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      const s = await open(root(node1));
      const stream = await s.forwardUnixSocket(socket);
      expect(stream.ok).toBe(true);
      if (!stream.ok) {
        return;
      }
      const reply = await new Promise<string>((resolve, reject) => {
        stream.value.once('data', (d: Buffer) => resolve(d.toString()));
        stream.value.once('error', reject);
        stream.value.write('ping');
      });
      expect(reply).toBe('echo:ping');
      stream.value.end();
      const missing = await s.forwardUnixSocket('/run/no-such.sock');
      expect(!missing.ok && missing.error.code).toBe('ssh.forward-failed');
    } finally {
      await lab.killDaemon(pid);
    }
  });

  describe('a sudo user', () => {
    it('runs commands as root through sudo with the password on stdin, never on a command line', async () => {
      const s = await open({
        address: node2.address,
        user: admin.user,
        auth: { kind: 'password', password: admin.password },
      });
      const who = await s.run('id -un');
      expect(who.ok && who.value.stdout).toBe('admin\n');
      const running = s.run('sleep 1; id -u', { sudo: true });
      await new Promise((r) => setTimeout(r, 500));
      const ps = await lab.exec(node2.index, 'ps -eo args');
      expect(ps.stdout).toContain('sleep 1');
      expect(ps.stdout).not.toContain(admin.password);
      const result = await running;
      expect(result.ok && result.value.stdout).toBe('0\n');
      expect(result.ok && result.value.stderr).toBe('');
    });

    it('hands the command only its own stdin (sudo consumes the password line)', async () => {
      const s = await open({
        address: node2.address,
        user: admin.user,
        auth: { kind: 'password', password: admin.password },
      });
      const first = await s.run('cat', { sudo: true, stdin: 'line one\nline two\n' });
      expect(first.ok && first.value.stdout).toBe('line one\nline two\n');
      // A second sudo in the same session: sudo's credential cache must not leak the password into stdin.
      const second = await s.run('cat; id -u', { sudo: true, stdin: 'again\n' });
      expect(second.ok && second.value.stdout).toBe('again\n0\n');
    });

    it('uploads as root through sudo, owned by root with the mode', async () => {
      const s = await open({
        address: node2.address,
        user: admin.user,
        auth: { kind: 'password', password: admin.password },
      });
      const result = await s.upload('/etc/corosync/quorate-test.conf', 'hello\n', 0o640, { sudo: true });
      expect(result).toEqual({ ok: true, value: undefined });
      const st = await lab.exec(
        node2.index,
        'stat -c "%a %U" /etc/corosync/quorate-test.conf; cat /etc/corosync/quorate-test.conf; ls -a /home/admin /etc/corosync',
      );
      expect(st.stdout.split('\n').slice(0, 2)).toEqual(['640 root', 'hello']);
      expect(st.stdout).not.toMatch(/quorate-upload|quorate-.*\.tmp/);
    });

    it('opens a long-lived command stream as root through sudo (the password never reaches the command)', async () => {
      const s = await open({
        address: node2.address,
        user: admin.user,
        auth: { kind: 'password', password: admin.password },
      });
      const opened = await s.openCommandStream(`id -u; exec cat`, { sudo: true });
      expect(opened.ok).toBe(true);
      if (!opened.ok) {
        return;
      }
      const stream = opened.value;
      const received: string[] = [];
      stream.on('data', (d: Buffer) => received.push(d.toString()));
      const until = async (text: string): Promise<void> => {
        for (let i = 0; i < 50 && !received.join('').includes(text); i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until('0\n');
      stream.write('ping\n');
      await until('ping\n');
      stream.end();
      await new Promise((r) => stream.once('close', r));
      expect(received.join('')).toBe('0\nping\n');
    });

    it('kills a timed-out sudo command, though it runs as root', async () => {
      const s = await open({
        address: node2.address,
        user: admin.user,
        auth: { kind: 'password', password: admin.password },
      });
      const result = await s.run('sleep 32.5', { sudo: true, timeoutMs: 800 });
      expect(!result.ok && result.error.code).toBe('ssh.command-timeout');
      let left = '';
      for (let i = 0; i < 20; i++) {
        left = (await lab.exec(node2.index, 'ps -eo user,args | grep "[s]leep 32.5" || true')).stdout.trim();
        if (left === '') {
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(left).toBe('');
    });

    it('classifies a wrong sudo password', async () => {
      const s = await open(
        { address: node2.address, user: admin.user, auth: { kind: 'password', password: admin.password } },
        { sudoPassword: 'not-it' },
      );
      const result = await s.run('id -u', { sudo: true });
      expect(!result.ok && result.error.code).toBe('ssh.sudo-wrong-password');
    });

    it('classifies sudo without any password (key login) as sudo-password-required', async () => {
      await lab.exec(
        node2.index,
        [
          'mkdir -p /home/admin/.ssh',
          `echo ${JSON.stringify(lab.sshKey.publicKey.trim())} > /home/admin/.ssh/authorized_keys`,
          'chown -R admin: /home/admin/.ssh && chmod 700 /home/admin/.ssh && chmod 600 /home/admin/.ssh/authorized_keys',
        ].join(' && '),
      );
      const s = await open({
        address: node2.address,
        user: admin.user,
        auth: { kind: 'key', path: lab.sshKey.privateKeyPath },
      });
      const result = await s.run('id -u', { sudo: true });
      expect(!result.ok && result.error.code).toBe('ssh.sudo-password-required');
    });

    it('classifies a user outside sudoers as sudo-not-allowed', async () => {
      const out = await lab.exec(
        node2.index,
        'useradd -m -s /bin/sh guest && echo guest:guest-pw-1 | chpasswd && echo done',
      );
      expect(out.stdout).toContain('done');
      const s = await open({
        address: node2.address,
        user: 'guest',
        auth: { kind: 'password', password: 'guest-pw-1' },
      });
      const result = await s.run('id -u', { sudo: true });
      expect(!result.ok && result.error.code).toBe('ssh.sudo-not-allowed');
      expect(!result.ok && result.error.message).toContain('guest');
    });
  });

  describe('connection failures', () => {
    it('gives up on an unused address in the lab subnet within the timeout', async () => {
      const address = `198.18.${lab.id}.99`;
      const started = Date.now();
      const result = await connectSsh(
        { address, user: 'root', auth: { kind: 'password', password: 'x' } },
        { timeoutMs: 3_000 },
      );
      const elapsed = Date.now() - started;
      expect(!result.ok && ['ssh.timeout', 'ssh.unreachable']).toContain(!result.ok && result.error.code);
      expect(!result.ok && result.error.message).toContain(address);
      expect(elapsed).toBeLessThan(4_000);
    });

    it('classifies a port nothing listens on as refused', async () => {
      const result = await connectSsh(
        { address: node1.address, port: 2222, user: 'root', auth: { kind: 'password', password: 'x' } },
        { timeoutMs: 3_000 },
      );
      expect(!result.ok && result.error.code).toBe('ssh.refused');
      expect(!result.ok && result.error.message).toContain(`root@${node1.address}:2222`);
    });
  });

  describe('quorate hosts', () => {
    function cli(stdin = '') {
      const out: string[] = [];
      const errs: string[] = [];
      const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => errs.push(t), readStdin: async () => stdin };
      return { io, out, errs, last: () => JSON.parse(out.join('').trim().split('\n').pop() ?? 'null') };
    }
    const home = join(tmp, 'quorate-home');
    const secrets = memorySecrets();

    it('add prints {address, fingerprint, trusted:false} for a real host, then trust logs in and pins it', async () => {
      const c = cli(`${node2.rootPassword}\n`);
      expect(await runHostsCommand(['add', node2.address, '--password-stdin', '--json'], c.io, { home, secrets })).toBe(
        0,
      );
      expect(c.last()).toEqual({ address: node2.address, fingerprint: pins.get(node2.address), trusted: false });
      const t = cli();
      expect(
        await runHostsCommand(['trust', node2.address, '--fingerprint', pins.get(node2.address)!, '--json'], t.io, {
          home,
          secrets,
        }),
      ).toBe(0);
      expect(t.last()).toEqual({ address: node2.address, fingerprint: pins.get(node2.address), trusted: true });
      const state = await readState(home);
      expect(state.ok && state.value.machines.find((m) => m.address === node2.address)).toMatchObject({
        trusted: true,
        fingerprint: pins.get(node2.address),
      });
    });

    it('add --trust with the lab key logs in at once', async () => {
      const c = cli();
      const code = await runHostsCommand(
        ['add', node1.address, '--key', lab.sshKey.privateKeyPath, '--trust', pins.get(node1.address)!, '--json'],
        c.io,
        { home, secrets },
      );
      expect(c.errs.join('')).toBe('');
      expect(code).toBe(0);
      expect(c.last()).toEqual({ address: node1.address, fingerprint: pins.get(node1.address), trusted: true });
    });
  });

  it('bin/quorate.js hosts add prints the fixed JSON shape (when the lead has wired hosts into main)', async (ctx) => {
    const env = { ...process.env, QUORATE_HOME: join(tmp, 'bin-home') };
    const bin = join(process.cwd(), 'bin', 'quorate.js');
    const listed = spawnSync(process.execPath, [bin, 'hosts', 'list', '--json'], { env, encoding: 'utf8' });
    if (listed.status === 2 && /unknown command/.test(listed.stderr)) {
      console.log('skipping the bin/quorate.js check: engine/cli/main.ts does not dispatch "hosts" yet');
      ctx.skip();
    }
    const added = spawnSync(
      process.execPath,
      [bin, 'hosts', 'add', node1.address, '--key', lab.sshKey.privateKeyPath, '--json'],
      { env, encoding: 'utf8' },
    );
    expect(added.stderr).toBe('');
    expect(added.status).toBe(0);
    expect(JSON.parse(added.stdout)).toEqual({
      address: node1.address,
      fingerprint: pins.get(node1.address),
      trusted: false,
    });
  });

  // Last: it replaces node1's host keys.
  it('refuses hard after the host keys were regenerated, and the new key is what the host now shows', async () => {
    const old = pins.get(node1.address)!;
    await lab.regenerateHostKeys(node1.index);
    const fresh = await consoleFingerprint(node1);
    expect(fresh).not.toBe(old);
    const result = await connectSsh(root(node1), { pinnedFingerprint: old });
    expect(!result.ok && result.error.code).toBe('ssh.host-key-changed');
    expect(!result.ok && result.error.message).toContain(old);
    expect(!result.ok && result.error.message).toContain(fresh);
    const c = { out: [] as string[] };
    const io: CliIo = { stdout: (t) => c.out.push(t), stderr: () => {}, readStdin: async () => '' };
    const deps = { home: join(tmp, 'quorate-home'), secrets: memorySecrets() };
    expect(await runHostsCommand(['trust', node1.address, '--fingerprint', old, '--json'], io, deps)).toBe(1);
    expect(JSON.parse(c.out.join('')).error.code).toBe('ssh.host-key-mismatch');
    // Re-trusting deliberately, as the hint says, pins the new key.
    c.out.length = 0;
    expect(await runHostsCommand(['trust', node1.address, '--fingerprint', fresh, '--json'], io, deps)).toBe(0);
    expect(JSON.parse(c.out.join(''))).toEqual({ address: node1.address, fingerprint: fresh, trusted: true });
    const state = await readState(deps.home);
    expect(state.ok && state.value.machines.find((m) => m.address === node1.address)?.fingerprint).toBe(fresh);
  });
});
