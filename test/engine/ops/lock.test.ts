import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, processStart } from '../../../engine/ops/lock.fs';
import { loadCluster, saveCluster, updateCluster } from '../../../engine/ops/registry.fs';
import { unwrap } from '../../../engine/result';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'quorate-lock-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const writeLock = (owner: object): void => {
  mkdirSync(join(home, 'locks'), { recursive: true });
  writeFileSync(join(home, 'locks', 'lab.lock'), JSON.stringify(owner));
};

describe('per-cluster locks in the state folder', () => {
  it('refuses a second holder, naming what holds it, until the first releases', async () => {
    const a = unwrap(await acquireLock(home, 'lab', 'join 198.18.0.14'));
    const b = await acquireLock(home, 'lab', 'remove node3');
    expect(!b.ok && b.error.code).toBe('ops.locked');
    expect(!b.ok && b.error.message).toContain(`"join 198.18.0.14" is running on it (pid ${process.pid}`);
    expect(unwrap(await acquireLock(home, 'other', 'join x'))).toBeDefined();
    await a.release();
    const c = unwrap(await acquireLock(home, 'lab', 'remove node3'));
    await c.release();
    expect(readdirSync(join(home, 'locks')).filter((f) => f.startsWith('lab'))).toEqual([]);
  });

  it('takes over a lock whose process is gone', async () => {
    const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(child.stdout.trim());
    writeLock({ pid: deadPid, start: '1', host: hostname(), what: 'join (killed)', since: '' });
    const l = await acquireLock(home, 'lab', 'remove node3');
    expect(l.ok).toBe(true);
  });

  it('takes over a lock whose pid now belongs to another process (another start time)', async () => {
    expect(processStart(process.pid)).not.toBeNull();
    writeLock({ pid: process.pid, start: 'not-this-process', host: hostname(), what: 'join', since: '' });
    expect((await acquireLock(home, 'lab', 'remove node3')).ok).toBe(true);
  });

  it('keeps a live process’s lock, and one written on another host', async () => {
    writeLock({ pid: process.pid, start: processStart(process.pid), host: hostname(), what: 'join', since: '' });
    expect((await acquireLock(home, 'lab', 'x')).ok).toBe(false);
    writeLock({ pid: 1, start: '1', host: 'another-desktop', what: 'join', since: '' });
    expect((await acquireLock(home, 'lab', 'x')).ok).toBe(false);
  });

  it('refuses on an unreadable lock file and says which file to delete', async () => {
    mkdirSync(join(home, 'locks'), { recursive: true });
    writeFileSync(join(home, 'locks', 'lab.lock'), '{"pid": 12');
    const r = await acquireLock(home, 'lab', 'x');
    expect(!r.ok && r.error.hint).toContain(join(home, 'locks', 'lab.lock'));
  });
});

describe('registry updates', () => {
  it('are locked read-modify-writes: twenty concurrent updates all land', async () => {
    await saveCluster({ name: 'lab', provider: 'corosync', nodes: {} }, home);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        updateCluster('lab', home, (r) => ({ ...r!, nodes: { ...r!.nodes, [`node${i}`]: `m${i}` } })),
      ),
    );
    expect(Object.keys((await loadCluster('lab', home))!.nodes)).toHaveLength(20);
  });
});
