/** Test helpers: build the real agent bundle into a temp dir and run it as a child process. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../../../engine/agent/client';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Build dist-like bundle at `outfile` with build/bundle-agent.js (the real build). */
export function buildBundle(outfile: string): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'build', 'bundle-agent.js'), '--outfile', outfile], {
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    throw new Error(`bundle-agent failed: ${r.stderr}`);
  }
}

export async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) {
      throw new Error('timed out waiting');
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startAgent(bundle: string, socket: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [bundle, 'serve', '--socket', socket], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  await waitFor(() => stderr.includes('listening') || child.exitCode !== null);
  if (child.exitCode !== null) {
    throw new Error(`agent exited ${child.exitCode}: ${stderr}`);
  }
  return child;
}

export function clientFor(socket: string): Promise<AgentClient> {
  return new Promise((resolvePromise, reject) => {
    const s = connect(socket);
    s.once('connect', () => resolvePromise(new AgentClient(s, `local agent ${socket}`)));
    s.once('error', reject);
  });
}

/** TCP ports the process listens on (from its socket fds and /proc/net/tcp{,6} LISTEN rows). */
export function tcpListenPortsOf(pid: number, procRoot = '/proc'): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`${procRoot}/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${procRoot}/${pid}/fd/${fd}`));
      if (m) {
        inodes.add(m[1]!);
      }
    } catch {
      // fd closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const path = `${procRoot}/${pid}/net/${table}`;
    if (!existsSync(path)) {
      continue;
    }
    for (const line of readFileSync(path, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') {
        continue;
      } // 0A = LISTEN
      if (inodes.has(cols[9]!)) {
        ports.push(Number.parseInt(cols[1]!.split(':')[1]!, 16));
      }
    }
  }
  return ports;
}
