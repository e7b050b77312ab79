/**
 * The state file on disk: `$QUORATE_HOME/state.json`, written atomically (temp file in the same
 * folder, fsync, rename, fsync of the folder), mode 0600 in a 0700 folder, and changed only under a
 * lock file so that two `quorate` processes never lose each other's edits.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { err, ok } from '../result';
import type { QuorateError, Result } from '../result';
import { quorateHome } from './paths';
import { emptyState, parseState } from './state';
import type { QuorateState } from './state';

/** The state folder for this process (`$QUORATE_HOME` or the OS default). */
export function defaultHome(): string {
  return quorateHome(process.env, process.platform, homedir());
}

/** The state file inside a state folder. */
export function statePath(home: string): string {
  return join(home, 'state.json');
}

/** Reads the state; a missing file is the empty state. */
export async function readState(home: string = defaultHome()): Promise<Result<QuorateState>> {
  const file = statePath(home);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return ok(emptyState());
    }
    return err(
      'store.unreadable',
      `cannot read ${file}`,
      'check the permissions of the Quorate folder (QUORATE_HOME)',
      e,
    );
  }
  return parseState(text, file);
}

/**
 * Reads, changes and writes the state under the lock. `change` returns the new state (or the same
 * object for "no change": nothing is written), or an error to abort without writing.
 */
export function updateState(
  change: (
    state: QuorateState,
  ) => QuorateState | { ok: false; error: QuorateError } | Promise<QuorateState | { ok: false; error: QuorateError }>,
  home: string = defaultHome(),
  options: { lockWaitMs?: number } = {},
): Promise<Result<QuorateState>> {
  // Updates from this process queue here; the lock file orders them against other processes.
  const previous = queues.get(home) ?? Promise.resolve();
  const run = previous.then(() => updateLocked(change, home, options.lockWaitMs ?? LOCK_WAIT_MS));
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(home, tail);
  void tail.then(() => {
    if (queues.get(home) === tail) {
      queues.delete(home);
    }
  });
  return run;
}

const queues = new Map<string, Promise<void>>();

async function updateLocked(
  change: Parameters<typeof updateState>[0],
  home: string,
  lockWaitMs: number,
): Promise<Result<QuorateState>> {
  const ready = await ensureHome(home);
  if (!ready.ok) {
    return ready;
  }
  const lock = await acquireLock(join(home, 'state.json.lock'), lockWaitMs);
  if (!lock.ok) {
    return lock;
  }
  try {
    const current = await readState(home);
    if (!current.ok) {
      return current;
    }
    const next = await change(current.value);
    if ('ok' in next) {
      return next;
    }
    if (next === current.value) {
      return ok(next);
    }
    const written = await writeFileAtomic(statePath(home), `${JSON.stringify(next, null, 2)}\n`, 0o600);
    if (!written.ok) {
      return written;
    }
    return ok(next);
  } finally {
    await lock.value.release();
  }
}

/** Creates the state folder (0700) when missing. */
export async function ensureHome(home: string): Promise<Result<void>> {
  try {
    await mkdir(home, { recursive: true, mode: 0o700 });
    return ok(undefined);
  } catch (e) {
    return err(
      'store.unwritable',
      `cannot create the Quorate folder ${home}`,
      "check its parent folder's permissions, or set QUORATE_HOME to a folder you own",
      e,
    );
  }
}

/**
 * Replaces `file` with `data` so that a reader (or a crash) sees the old content or the new, never a
 * mix: write a temp file in the same folder, fsync it, rename it over the target, fsync the folder.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): Promise<Result<void>> {
  const temp = join(dirname(file), `.${randomBytes(6).toString('hex')}.${process.pid}.tmp`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.chmod(mode); // the open mode is filtered by the umask
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    return err(
      'store.unwritable',
      `cannot write ${file}`,
      'check free disk space and the permissions of the Quorate folder (QUORATE_HOME)',
      e,
    );
  }
  try {
    const dir = await open(dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Some filesystems (and Windows) refuse fsync on a folder; the rename itself has happened.
  }
  return ok(undefined);
}

interface HeldLock {
  release(): Promise<void>;
}

const LOCK_WAIT_MS = 10_000;
/** A lock older than this is from a process that hung or died on another machine sharing the folder. */
const LOCK_STALE_MS = 30_000;

/**
 * An exclusive lock file holding `pid`. A lock whose process is gone (same machine) or that is older
 * than 30 s is taken over; otherwise waits up to `waitMs`.
 */
export async function acquireLock(path: string, waitMs: number): Promise<Result<HeldLock>> {
  const deadline = Date.now() + waitMs;
  let delay = 5;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return ok({ release: () => unlink(path).catch(() => undefined) });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        return err(
          'store.unwritable',
          `cannot create the lock file ${path}`,
          'check the permissions of the Quorate folder (QUORATE_HOME)',
          e,
        );
      }
    }
    if (await isStale(path)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      return err(
        'store.locked',
        `another Quorate process holds ${path}`,
        'wait for the other quorate command to finish; if none runs, delete the lock file',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 100);
  }
}

async function isStale(path: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    if (Date.now() - info.mtimeMs > LOCK_STALE_MS) {
      return true;
    }
    const pid = Number.parseInt(text.trim(), 10);
    if (!Number.isInteger(pid) || pid <= 0) {
      return Date.now() - info.mtimeMs > 1_000;
    } // being written, or garbage
    try {
      process.kill(pid, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false; // vanished meanwhile: retry at once
  }
}
