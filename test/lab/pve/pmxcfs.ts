/**
 * The stand-in's pmxcfs: one small daemon per Proxmox host. The files of /etc/pve are one directory
 * of the lab's store, bind-mounted into every member's mount namespace (a cluster's members all
 * mount the same directory, so a write on one is seen by all at once, as pmxcfs replicates it). The
 * daemon does the two things of pmxcfs that Quorate depends on:
 *  - quorum: /etc/pve is read-only while the node is in a cluster and not quorate (corosync down
 *    or inquorate), writable when quorate or not clustered (pmxcfs's local mode);
 *  - dcdb_sync_corosync_conf (while quorate): a changed /etc/pve/corosync.conf is written to
 *    /etc/corosync/corosync.conf unless that one has a higher config_version ("local corosync.conf
 *    is newer"), then after 1 s `corosync-cfgtool -R` when there was an old file.
 * Not reproduced: pmxcfs's own CPG replication and its distributed lock (cfs_lock_file), the virtual
 * files (.members, .vmlist, .rrd …), EACCES instead of EROFS on writes while inquorate.
 */
import { existsSync } from 'node:fs';
import { configVersionOf } from './pve-conf';
import { CLUSTER_CONF, HOST_CONF, PVE, corosyncState, readOnlyMount, readText, run, sleepMs, writeAtomic } from './sys';

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} pmxcfs[${process.pid}]: ${message}\n`);
}

/** dcdb_sync_corosync_conf(notify_corosync = true). */
export function syncCorosyncConf(notify = true): void {
  const data = readText(CLUSTER_CONF);
  if (!data) {
    return;
  }
  const newVersion = configVersionOf(data);
  if (!newVersion) {
    log('unable to parse cluster config_version');
    return;
  }
  const old = readText(HOST_CONF);
  if (old === data) {
    return;
  }
  const oldVersion = old ? configVersionOf(old) : 0;
  if (newVersion < oldVersion) {
    log('local corosync.conf is newer');
    return;
  }
  writeAtomic(HOST_CONF, data, 0o644);
  log(`wrote new corosync config '${HOST_CONF}' (version = ${newVersion})`);
  if (notify && oldVersion) {
    sleepMs(1000);
    const r = run(['corosync-cfgtool', '-R'], { timeoutMs: 20_000 });
    if (r.code !== 0) {
      log(`corosync-cfgtool -R failed with exit code ${r.code}`);
    }
  }
}

/** Read-only while clustered and not quorate; the bind mount is remounted when that changes. */
export function applyQuorum(): boolean {
  const clustered = existsSync(CLUSTER_CONF);
  const writable = !clustered || corosyncState().quorate;
  if (writable === !readOnlyMount()) {
    return writable;
  }
  const r = run(['mount', '-o', `remount,bind,${writable ? 'rw' : 'ro'}`, PVE]);
  log(r.code === 0 ? `${PVE} now ${writable ? 'writable (quorate)' : 'read-only (no quorum)'}` : r.stderr.trim());
  return writable;
}

export function pmxcfsLoop(): never {
  log('starting (Quorate lab stand-in)');
  for (;;) {
    try {
      // pmxcfs receives cluster files only as a member of the quorate partition.
      if (applyQuorum() && existsSync(CLUSTER_CONF)) {
        syncCorosyncConf();
      }
    } catch (e) {
      log(String(e));
    }
    sleepMs(500);
  }
}
