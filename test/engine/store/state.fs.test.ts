import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyState, readState, statePath, updateState, upsertMachine } from '../../../engine/store';
import type { MachineRecord } from '../../../engine/store';

const root = mkdtempSync(join(tmpdir(), 'quorate-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshHome = (): string => join(root, `home${++n}`, 'quorate');
const machine = (address: string): MachineRecord => ({
  address,
  port: 22,
  user: 'root',
  auth: 'key',
  fingerprint: 'SHA256:x',
  trusted: false,
  addedAt: '2026-01-01T00:00:00.000Z',
});

describe('state on disk', () => {
  it('reads a missing file as the empty state', async () => {
    const result = await readState(freshHome());
    expect(result.ok && result.value).toEqual(emptyState());
  });

  it('creates the folder 0700 and the file 0600, and leaves no temp or lock file', async () => {
    const home = freshHome();
    const result = await updateState((s) => upsertMachine(s, machine('198.18.0.1')), home);
    expect(result.ok).toBe(true);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(statePath(home)).mode & 0o777).toBe(0o600);
    expect(readdirSync(home)).toEqual(['state.json']);
    const back = await readState(home);
    expect(back.ok && back.value.machines.map((m) => m.address)).toEqual(['198.18.0.1']);
  });

  it('writes nothing when the change fails, and keeps the old file', async () => {
    const home = freshHome();
    await updateState((s) => upsertMachine(s, machine('a')), home);
    const before = readFileSync(statePath(home), 'utf8');
    const result = await updateState(
      () => ({ ok: false, error: { code: 'test.no', message: 'no', hint: 'none' } }),
      home,
    );
    expect(!result.ok && result.error.code).toBe('test.no');
    expect(readFileSync(statePath(home), 'utf8')).toBe(before);
    expect(readdirSync(home)).toEqual(['state.json']);
  });

  it('serialises concurrent updates in one process: none is lost', async () => {
    const home = freshHome();
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        updateState(async (s) => {
          await new Promise((r) => setTimeout(r, 1));
          return upsertMachine(s, machine(`m${i}`));
        }, home),
      ),
    );
    const result = await readState(home);
    expect(result.ok && result.value.machines.length).toBe(25);
  });

  it('serialises concurrent quorate processes through the lock file: none loses an edit', async () => {
    const home = freshHome();
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const script = join(import.meta.dirname, 'scripts', 'bump.ts');
    await Promise.all(['p1', 'p2', 'p3'].map((tag) => promisify(execFile)(tsx, [script, home, tag, '15'])));
    const result = await readState(home);
    expect(result.ok && result.value.machines.length).toBe(45);
  }, 60_000);

  it('takes over a lock left by a process that died', async () => {
    const home = freshHome();
    await updateState((s) => s, home);
    // A PID far above pid_max is never alive.
    writeFileSync(join(home, 'state.json.lock'), '99999999\n');
    const started = Date.now();
    const result = await updateState((s) => upsertMachine(s, machine('after-crash')), home);
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('waits for a lock held by a live process and reports store.locked when the wait runs out', async () => {
    const home = freshHome();
    await updateState((s) => s, home);
    writeFileSync(join(home, 'state.json.lock'), `${process.pid}\n`);
    const started = Date.now();
    const result = await updateState((s) => upsertMachine(s, machine('x')), home, { lockWaitMs: 600 });
    expect(!result.ok && result.error.code).toBe('store.locked');
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    rmSync(join(home, 'state.json.lock'));
    const after = await updateState((s) => upsertMachine(s, machine('x')), home);
    expect(after.ok).toBe(true);
  });

  it('reports a corrupt file with its path instead of overwriting it', async () => {
    const home = freshHome();
    await updateState((s) => s, home);
    writeFileSync(statePath(home), '{"schemaVersion": 1, "machines": [');
    const result = await updateState((s) => upsertMachine(s, machine('x')), home);
    expect(!result.ok && result.error.code).toBe('store.corrupt');
    expect(!result.ok && result.error.message).toContain(statePath(home));
    expect(readFileSync(statePath(home), 'utf8')).toBe('{"schemaVersion": 1, "machines": [');
  });
});
