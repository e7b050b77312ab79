/**
 * Per-cluster locks in the state folder (`$QUORATE_HOME/locks/<name>.lock`), so the CLI and the app
 * (separate processes, or two windows' requests in one) never run two operations on one cluster.
 * The file holds the owner's pid and its process start time: a lock whose process is gone, or whose
 * pid now belongs to another process (pid reuse: another start time), is stale and taken over.
 */
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { err, ok, type Result } from '../result';

export interface LockOwner {
  readonly pid: number;
  /** /proc/<pid>/stat start time (clock ticks since boot); null where /proc is not available. */
  readonly start: string | null;
  readonly host: string;
  /** What holds it, for the refusal message: `join 198.18.0.14`. */
  readonly what: string;
  readonly since: string;
}

export interface HeldLock {
  release(): Promise<void>;
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces). */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stale: written on this host by a process that is gone, or whose pid now runs something else. */
export function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) {
    return false;
  }
  if (!alive(owner.pid)) {
    return true;
  }
  const start = processStart(owner.pid);
  return owner.start !== null && start !== null && start !== owner.start;
}

const safeName = (name: string): string => name.replace(/[^A-Za-z0-9_.-]/g, '_');

/**
 * Take the lock `name` (a cluster name, or `registry-<name>`) or say who holds it. Never waits:
 * an operation is refused, not queued, while another runs.
 */
export async function acquireLock(home: string, name: string, what: string): Promise<Result<HeldLock>> {
  const dir = join(home, 'locks');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${safeName(name)}.lock`);
  const me: LockOwner = {
    pid: process.pid,
    start: processStart(process.pid),
    host: hostname(),
    what,
    since: new Date().toISOString(),
  };
  const text = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return ok({
        async release() {
          // Only our own lock file goes: compare before unlinking.
          const now = await readFile(path, 'utf8').catch(() => '');
          if (now === text) {
            await unlink(path).catch(() => undefined);
          }
        },
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw e;
      }
    }
    const held = await readFile(path, 'utf8').catch(() => null);
    if (held === null) {
      continue; // released meanwhile
    }
    let owner: LockOwner | null;
    try {
      owner = JSON.parse(held) as LockOwner;
    } catch {
      owner = null; // a torn write by a process killed mid-write: stale only when old (below)
    }
    if (owner && !isStale(owner)) {
      return err(
        'ops.locked',
        `${name} is busy: "${owner.what}" is running on it (pid ${owner.pid} on ${owner.host}, since ${owner.since})`,
        'Wait until that operation ends, then start this one again. Nothing was changed.',
      );
    }
    if (!owner) {
      return err(
        'ops.locked',
        `${name} is locked by an unreadable lock file (${path})`,
        `If no Quorate operation is running, delete ${path} and start again. Nothing was changed.`,
      );
    }
    // Take the stale lock over: move it aside atomically, and put it back if what moved was not the
    // stale one we judged (another process took it over in between).
    const aside = `${path}.stale-${randomBytes(4).toString('hex')}`;
    try {
      await rename(path, aside);
    } catch {
      continue;
    }
    const moved = await readFile(aside, 'utf8').catch(() => '');
    if (moved !== held) {
      await link(aside, path).catch(() => undefined);
      await unlink(aside).catch(() => undefined);
      continue;
    }
    await unlink(aside).catch(() => undefined);
  }
  return err(
    'ops.locked',
    `${name} is busy: its lock changed hands while Quorate tried to take it`,
    'Another operation just started on it; wait until it ends, then start this one again. Nothing was changed.',
  );
}

/** Run `fn` holding the lock; refused (nothing run) when another holds it. */
export async function withLock<T>(
  home: string,
  name: string,
  what: string,
  fn: () => Promise<Result<T>>,
): Promise<Result<T>> {
  const lock = await acquireLock(home, name, what);
  if (!lock.ok) {
    return lock;
  }
  try {
    return await fn();
  } finally {
    await lock.value.release();
  }
}

/**
 * Who holds the lock `name` now, without taking it (a window asking whether an unfinished operation
 * is still running somewhere); null when it is free, stale, or its file cannot be read.
 */
export async function lockHolder(home: string, name: string): Promise<LockOwner | null> {
  const held = await readFile(join(home, 'locks', `${safeName(name)}.lock`), 'utf8').catch(() => null);
  if (held === null) {
    return null;
  }
  try {
    const owner = JSON.parse(held) as LockOwner;
    return isStale(owner) ? null : owner;
  } catch {
    return null;
  }
}
