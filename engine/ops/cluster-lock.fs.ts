/**
 * A cluster-wide lock in the state folder: `$QUORATE_HOME/locks/<cluster>.lock`, created
 * exclusively and holding the running process's pid, so two long operations (rolling runs) never
 * interleave on one cluster, whichever front door started them. Unlike engine/store's short locks it
 * never goes stale by age (a rolling run lasts minutes): only a dead holder (same machine) is
 * taken over. A seam for the ops per-cluster lock once it lands on main.
 */
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Result } from '../result';
import { err, ok } from '../result';

/** Take the lock of `cluster`; the returned function releases it. A live holder: `rolling.locked`. */
export async function lockCluster(home: string, cluster: string): Promise<Result<() => Promise<void>>> {
  const dir = join(home, 'locks');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${cluster}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const h = await open(path, 'wx', 0o600);
      await h.writeFile(`${process.pid}\n`);
      await h.close();
      return ok(() => unlink(path).catch(() => undefined));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw e;
      }
    }
    const pid = Number.parseInt((await readFile(path, 'utf8').catch(() => '')).trim(), 10);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      return err(
        'rolling.locked',
        `another operation (process ${pid}) is running on ${cluster}`,
        'Wait for it to finish; two rolling runs never interleave on one cluster.',
      );
    }
    await unlink(path).catch(() => undefined);
  }
  return err('rolling.locked', `could not take the lock of ${cluster}`, 'Try again.');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
