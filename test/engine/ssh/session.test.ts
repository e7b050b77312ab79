import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSsh, probeHostKey } from '../../../engine/ssh';
import type { SshSession } from '../../../engine/ssh';
import { generateHostKey, startTestServer } from './ssh2-server';
import type { TestServer } from './ssh2-server';

const dir = mkdtempSync(join(tmpdir(), 'quorate-ssh-test-'));
const hostKey = generateHostKey('ed25519');
const otherHostKey = generateHostKey('ed25519');
const userKey = generateHostKey('ed25519');
const userKeyPath = join(dir, 'id_ed25519');
writeFileSync(userKeyPath, userKey.private, { mode: 0o600 });
const PASSWORD = 'correct horse';

/** What `ssh-keygen -lf` prints for a public key line: the reference spelling. */
function keygenFingerprint(publicLine: string): string {
  const file = join(dir, `k-${Math.random().toString(36).slice(2)}.pub`);
  writeFileSync(file, `${publicLine}\n`);
  const out = execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8' });
  return out.split(' ')[1] ?? '';
}

let server: TestServer;
let rotated: TestServer;
let pinned: string;

beforeAll(async () => {
  server = await startTestServer({
    hostKey: hostKey.private,
    user: 'root',
    password: PASSWORD,
    publicKey: userKey.public,
  });
  rotated = await startTestServer({ hostKey: otherHostKey.private, user: 'root', password: PASSWORD });
  pinned = keygenFingerprint(hostKey.public);
});

afterAll(async () => {
  await server?.close();
  await rotated?.close();
  rmSync(dir, { recursive: true, force: true });
});

const target = (
  port: number,
  auth: Parameters<typeof connectSsh>[0]['auth'] = { kind: 'password', password: PASSWORD },
) => ({ address: '127.0.0.1', port, user: 'root', auth });

describe('host keys', () => {
  it('reads the host key without logging in, spelled as ssh-keygen -lf spells it', async () => {
    const before = server.authAttempts.length;
    const probed = await probeHostKey('127.0.0.1', server.port);
    expect(probed.ok && probed.value.fingerprint).toBe(pinned);
    expect(probed.ok && probed.value.algorithm).toBe('ssh-ed25519');
    expect(server.authAttempts.length).toBe(before);
  });

  it('refuses an unknown host key before sending any credential, and carries its fingerprint', async () => {
    const before = server.authAttempts.length;
    const result = await connectSsh(target(server.port));
    expect(result.ok).toBe(false);
    if (result.ok) {
      return;
    }
    expect(result.error.code).toBe('ssh.host-key-unknown');
    expect((result.error as unknown as { fingerprint: string }).fingerprint).toBe(pinned);
    // Each front door gets its own way out: the terminal a command, the window its dialog.
    expect(result.error.cliHint).toContain('quorate hosts trust 127.0.0.1');
    expect(result.error.hint).toContain('Machines → Trust');
    expect(result.error.hint).not.toContain('quorate ');
    expect(server.authAttempts.length).toBe(before);
  });

  it('refuses a changed host key hard, naming both fingerprints and how to re-trust', async () => {
    const result = await connectSsh(target(rotated.port), { pinnedFingerprint: pinned });
    expect(result.ok).toBe(false);
    if (result.ok) {
      return;
    }
    const presented = keygenFingerprint(otherHostKey.public);
    expect(result.error.code).toBe('ssh.host-key-changed');
    expect(result.error.message).toContain(pinned);
    expect(result.error.message).toContain(presented);
    expect(result.error.cliHint).toContain(`--fingerprint ${presented}`);
    expect(result.error.hint).toContain('Machines → Review the new key');
    expect(result.error.hint).not.toContain('--fingerprint');
    expect(rotated.authAttempts).toEqual([]);
  });

  it('spells an ECDSA key as ssh-keygen does too', async () => {
    const ecdsa = generateHostKey('ecdsa');
    const s = await startTestServer({ hostKey: ecdsa.private, user: 'root', password: PASSWORD });
    try {
      const probed = await probeHostKey('127.0.0.1', s.port);
      expect(probed.ok && probed.value).toEqual({
        fingerprint: keygenFingerprint(ecdsa.public),
        algorithm: 'ecdsa-sha2-nistp256',
      });
    } finally {
      await s.close();
    }
  });
});

describe('login', () => {
  it('logs in with a password when the pinned key matches', async () => {
    const result = await connectSsh(target(server.port), { pinnedFingerprint: pinned });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.hostKey.fingerprint).toBe(pinned);
      expect(result.value.label).toBe(`root@127.0.0.1:${server.port}`);
      await result.value.close();
    }
  });

  it('logs in with a key file', async () => {
    const result = await connectSsh(target(server.port, { kind: 'key', path: userKeyPath }), {
      pinnedFingerprint: pinned,
    });
    expect(result.ok).toBe(true);
    if (result.ok) {
      await result.value.close();
    }
  });

  it('answers keyboard-interactive with the password where the server offers only that', async () => {
    const s = await startTestServer({
      hostKey: hostKey.private,
      user: 'root',
      password: PASSWORD,
      methods: ['keyboard-interactive'],
    });
    try {
      const result = await connectSsh(target(s.port), { pinnedFingerprint: pinned });
      expect(result.ok).toBe(true);
      if (result.ok) {
        await result.value.close();
      }
      expect(s.authAttempts).toContain('keyboard-interactive');
    } finally {
      await s.close();
    }
  });

  it('reports a wrong password as auth-failed, listing the methods the server offered', async () => {
    const result = await connectSsh(target(server.port, { kind: 'password', password: 'wrong' }), {
      pinnedFingerprint: pinned,
    });
    expect(!result.ok && result.error.code).toBe('ssh.auth-failed');
    expect(!result.ok && result.error.message).toContain('server accepts: publickey, password');
    expect(!result.ok && result.error.message).toContain(`root@127.0.0.1:${server.port}`);
  });

  it('says the server does not take passwords when it offers only keys', async () => {
    const s = await startTestServer({
      hostKey: hostKey.private,
      user: 'root',
      publicKey: userKey.public,
      methods: ['publickey'],
    });
    try {
      const result = await connectSsh(target(s.port), { pinnedFingerprint: pinned });
      expect(!result.ok && result.error.code).toBe('ssh.auth-failed');
      expect(!result.ok && result.error.message).toMatch(/does not accept password login.*server accepts: publickey/);
      expect(s.authAttempts).toEqual(['none']);
    } finally {
      await s.close();
    }
  });

  it('reports a missing key file and an encrypted key without passphrase as key-unreadable', async () => {
    const missing = await connectSsh(target(server.port, { kind: 'key', path: join(dir, 'nope') }), {
      pinnedFingerprint: pinned,
    });
    expect(!missing.ok && missing.error.code).toBe('ssh.key-unreadable');
    const encryptedPath = join(dir, 'id_encrypted');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret phrase', '-f', encryptedPath]);
    const encrypted = await connectSsh(target(server.port, { kind: 'key', path: encryptedPath }), {
      pinnedFingerprint: pinned,
    });
    expect(!encrypted.ok && encrypted.error.code).toBe('ssh.key-unreadable');
    expect(!encrypted.ok && encrypted.error.message).toContain('passphrase is missing');
    const pub = await connectSsh(target(server.port, { kind: 'key', path: `${encryptedPath}.pub` }), {
      pinnedFingerprint: pinned,
    });
    expect(!pub.ok && pub.error.code).toBe('ssh.key-unreadable');
  });

  it('reports a missing agent socket as agent-unavailable', async () => {
    const result = await connectSsh(target(server.port, { kind: 'agent', socket: join(dir, 'no-agent.sock') }), {
      pinnedFingerprint: pinned,
    });
    expect(!result.ok && result.error.code).toBe('ssh.agent-unavailable');
  });

  it('logs in through a real ssh-agent holding the key', async () => {
    const socket = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50; i++) {
        try {
          execFileSync('ssh-add', [userKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const result = await connectSsh(target(server.port, { kind: 'agent', socket }), { pinnedFingerprint: pinned });
      expect(result.ok).toBe(true);
      if (result.ok) {
        await result.value.close();
      }
    } finally {
      if (agent.pid !== undefined) {
        process.kill(agent.pid, 'SIGTERM');
      }
    }
  });
});

describe('connection failures', () => {
  it('classifies a closed port as refused', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const result = await connectSsh(target(port), { pinnedFingerprint: pinned, timeoutMs: 5_000 });
    expect(!result.ok && result.error.code).toBe('ssh.refused');
    expect(!result.ok && result.error.message).toContain(`root@127.0.0.1:${port}`);
  });

  // Name resolution failures are classified in errors.test.ts: a real lookup would query a DNS
  // server outside the addresses tests may touch.

  it('times out on a server that accepts TCP but never speaks SSH, within the timeout', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent: NetServer = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const started = Date.now();
      const result = await connectSsh(target((silent.address() as AddressInfo).port), {
        pinnedFingerprint: pinned,
        timeoutMs: 800,
      });
      const elapsed = Date.now() - started;
      expect(!result.ok && result.error.code).toBe('ssh.timeout');
      expect(elapsed).toBeGreaterThanOrEqual(700);
      expect(elapsed).toBeLessThan(3_000);
    } finally {
      for (const s of sockets) {
        s.destroy();
      }
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});

describe('keepalive', () => {
  it('drops a session whose server stopped answering, and says so to a running command', async () => {
    // A TCP relay that can be made to swallow everything, like a cable pulled mid-session.
    let blackhole = false;
    const pipes = new Set<import('node:net').Socket>();
    const relay = createServer((inbound) => {
      const outbound = connect(server.port, '127.0.0.1');
      pipes.add(inbound).add(outbound);
      inbound.on('data', (d) => {
        if (!blackhole) {
          outbound.write(d);
        }
      });
      outbound.on('data', (d) => {
        if (!blackhole) {
          inbound.write(d);
        }
      });
      inbound.on('error', () => {});
      outbound.on('error', () => {});
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    try {
      const result = await connectSsh(target((relay.address() as AddressInfo).port), {
        pinnedFingerprint: pinned,
        keepaliveMs: 200,
      });
      expect(result.ok).toBe(true);
      if (!result.ok) {
        return;
      }
      const started = Date.now();
      blackhole = true;
      const run = await result.value.run('sleep 5');
      expect(!run.ok && run.error.code).toBe('ssh.disconnected');
      expect(Date.now() - started).toBeLessThan(2_500);
      await result.value.close();
    } finally {
      for (const p of pipes) {
        p.destroy();
      }
      await new Promise<void>((r) => relay.close(() => r()));
    }
  });
});

describe('commands', () => {
  let session: SshSession;
  beforeAll(async () => {
    const result = await connectSsh(target(server.port), { pinnedFingerprint: pinned });
    if (!result.ok) {
      throw new Error(result.error.message);
    }
    session = result.value;
  });
  afterAll(async () => {
    await session?.close();
  });

  it('returns stdout, stderr and a non-zero exit code without treating it as a transport error', async () => {
    const result = await session.run('echo out; echo err >&2; exit 3');
    expect(result.ok && result.value).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3, signal: null });
  });

  it('streams output as it comes, in order', async () => {
    const chunks: { stream: string; text: string; at: number }[] = [];
    const started = Date.now();
    const result = await session.run('echo one; sleep 0.3; echo two >&2; sleep 0.3; echo three', {
      progress: (c) => chunks.push({ ...c, at: Date.now() - started }),
    });
    expect(result.ok).toBe(true);
    expect(chunks.map((c) => c.text.trim())).toEqual(['one', 'two', 'three']);
    expect(chunks.map((c) => c.stream)).toEqual(['stdout', 'stderr', 'stdout']);
    expect((chunks[2]?.at ?? 0) - (chunks[0]?.at ?? 0)).toBeGreaterThan(400);
  });

  it('feeds stdin and closes it', async () => {
    const result = await session.run('wc -c; cat >/dev/null', { stdin: 'hello\nworld\n' });
    expect(result.ok && result.value.stdout.trim()).toBe('12');
  });

  it('kills a command that outlives its timeout and says so', async () => {
    const started = Date.now();
    const result = await session.run('sleep 21.5', { timeoutMs: 500 });
    expect(!result.ok && result.error.code).toBe('ssh.command-timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(execFileSync('sh', ['-c', 'ps -eo args | grep "^sleep 21[.]5" || true'], { encoding: 'utf8' })).toBe('');
    const after = await session.run('echo still-usable');
    expect(after.ok && after.value.stdout).toBe('still-usable\n');
  });

  it('stops on an AbortSignal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const result = await session.run('sleep 22.5', { signal: controller.signal });
    expect(!result.ok && result.error.code).toBe('ssh.command-aborted');
    expect(execFileSync('sh', ['-c', 'ps -eo args | grep "^sleep 22[.]5" || true'], { encoding: 'utf8' })).toBe('');
  });

  it('keeps multi-byte characters whole across chunks', async () => {
    const result = await session.run(`node -e "process.stdout.write(Buffer.from('é'.repeat(40000)))"`);
    expect(result.ok && result.value.stdout).toBe('é'.repeat(40000));
  });
});
