/**
 * pmxcfs's cluster-wide locks as pve-ha-manager uses them (PVE::HA::Env::PVE2::get_pve_lock):
 * a lock is a directory /etc/pve/priv/lock/ID; `mkdir` takes it, touching it (utime) refreshes it,
 * and one not refreshed for the lock lifetime (pmxcfs: 120 s; the lab: ha.json's lockTimeoutS)
 * may be taken by another node. Only a writable (quorate) /etc/pve can take or refresh a lock, so a
 * cut-off node loses its locks by time alone — which is what makes fencing safe.
 * Whether we hold a lock is this process's memory (as in PVE2.pm): a restarted daemon must wait for
 * its old lock to expire. pmxcfs expires locks itself; here the taker checks the directory's age,
 * under a short mutex directory so two survivors never both take an expired lock.
 */
import { mkdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { PVE } from './sys';

const LOCKDIR = `${PVE}/priv/lock`;
const held = new Map<string, number>();

function expired(dir: string, lifetimeMs: number, now: number): boolean {
  try {
    return now - statSync(dir).mtimeMs >= lifetimeMs;
  } catch {
    return true; // gone meanwhile
  }
}

export function takeLock(id: string, lifetimeS: number, now = Date.now()): boolean {
  const dir = `${LOCKDIR}/${id}`;
  const lifetimeMs = lifetimeS * 1000;
  try {
    mkdirSync(LOCKDIR, { recursive: true });
    const last = held.get(id);
    if (last !== undefined && now - last < lifetimeMs) {
      utimesSync(dir, now / 1000, now / 1000);
      held.set(id, now);
      return true;
    }
    held.delete(id);
    try {
      mkdirSync(dir);
      held.set(id, now);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !expired(dir, lifetimeMs, now)) {
        return false;
      }
    }
    // Expired: take it over under a mutex (itself expiring after 5 s, should a taker die).
    const mutex = `${LOCKDIR}/.${id}.takeover`;
    try {
      mkdirSync(mutex);
    } catch {
      if (!expired(mutex, 5000, now)) {
        return false;
      }
      rmSync(mutex, { recursive: true, force: true });
      return false; // next round
    }
    try {
      if (!expired(dir, lifetimeMs, now)) {
        return false;
      }
      renameSync(dir, `${dir}.expired.${process.pid}.${now}`);
      rmSync(`${dir}.expired.${process.pid}.${now}`, { recursive: true, force: true });
      mkdirSync(dir);
      held.set(id, now);
      return true;
    } finally {
      rmSync(mutex, { recursive: true, force: true });
    }
  } catch {
    held.delete(id); // read-only /etc/pve (no quorum): the lock is lost
    return false;
  }
}

/** Forget (and, when writable, remove) a lock this process holds. */
export function releaseLock(id: string): void {
  if (held.delete(id)) {
    try {
      rmSync(`${LOCKDIR}/${id}`, { recursive: true, force: true });
    } catch {
      /* read-only: it expires by itself */
    }
  }
}

/** Forget every lock without touching /etc/pve (what a node reset does to the daemon's memory). */
export function forgetLocks(): void {
  held.clear();
}

export const managerLock = 'ha_manager_lock';
export const agentLock = (node: string): string => `ha_agent_${node}_lock`;
