// The relay a sudo user's session reaches the agent's root-only socket through: run by a real `sh`
// with this machine's Node, it carries bytes both ways and ends when the socket side ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketBridgeCommand } from '../../../engine/ssh';

let dir: string;
let server: Server;
let socket: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "quorate-bridge 'it's' $(x) "));
  socket = join(dir, 'agent.sock');
  // Answers each line with it upper-cased, then closes after "bye".
  server = createServer((c) => {
    c.on('data', (d) => {
      const text = d.toString();
      c.write(text.toUpperCase());
      if (text.includes('bye')) {
        c.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function runBridge(path: string, input: string): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', socketBridgeCommand(path)], {
      env: { ...process.env, PATH: `${join(process.execPath, '..')}:${process.env.PATH ?? ''}` },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ out, err, code }));
    child.stdin.write(input);
  });
}

describe('the sudo socket bridge', () => {
  it('relays both ways to a socket whose path is full of shell metacharacters, and exits when it closes', async () => {
    const r = await runBridge(socket, 'hello\nbye\n');
    expect(r.out).toBe('HELLO\nBYE\n');
    expect(r.code).toBe(0);
  });

  it('fails with the reason when there is no socket', async () => {
    const r = await runBridge(join(dir, 'missing.sock'), '');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ENOENT/);
  });
});
