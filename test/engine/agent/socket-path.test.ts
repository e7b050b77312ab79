/**
 * `quorate-agent serve --socket PATH` touches only what it made: it never chmods a directory that
 * existed, never deletes a file that is not a stale socket of its own user, and on stop removes only
 * the socket it bound (and the directory, when it created it and it is empty).
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHandlers, serve } from '../../../engine/agent/daemon';

const root = mkdtempSync(join(tmpdir(), 'quorate-sockpath-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('agent socket path', () => {
  it('leaves the mode of an existing directory alone, and its other files', async () => {
    const dir = join(root, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'other'), 'keep');
    const a = await serve(join(dir, 'agent.sock'), createHandlers());
    expect(a.ok).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, 'agent.sock')).mode & 0o777).toBe(0o600);
    await (a.ok && a.value.stop());
    expect(existsSync(join(dir, 'agent.sock'))).toBe(false);
    expect(existsSync(dir)).toBe(true);
    expect(readFileSync(join(dir, 'other'), 'utf8')).toBe('keep');
  });

  it('creates a missing directory 0700 and removes it on stop', async () => {
    const dir = join(root, 'made', 'run');
    const a = await serve(join(dir, 'agent.sock'), createHandlers());
    expect(a.ok).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    await (a.ok && a.value.stop());
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a regular file or a symlink at the path and leaves it as it was', async () => {
    const file = join(root, 'precious.txt');
    writeFileSync(file, 'data');
    const r = await serve(file, createHandlers());
    expect(!r.ok && r.error.code).toBe('agent.socket-path-taken');
    expect(readFileSync(file, 'utf8')).toBe('data');
    const link = join(root, 'link.sock');
    symlinkSync(file, link);
    const l = await serve(link, createHandlers());
    expect(!l.ok && l.error.code).toBe('agent.socket-path-taken');
    expect(readFileSync(file, 'utf8')).toBe('data');
  });
});
