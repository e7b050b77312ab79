/**
 * Real Pacemaker on lab hosts, for tests that need it before (or beside) the product: start
 * `/usr/sbin/pacemakerd` inside a host exactly like corosync (setsid nsenter into the host's
 * namespaces; pacemakerd always stays in the foreground), PID recorded by the lab for clean-up, and
 * stop it cleanly. The host's /run, /dev/shm (tmpfs), /var/lib (copy-on-write, so its own
 * /var/lib/pacemaker/cib) and /var/log (with /var/log/pacemaker as the package makes it) are private.
 *
 * The product starts pacemakerd itself (`quorate ha enable`, engine/ha/scripts.ts: systemd where
 * present, the same detached-foreground supervisor as corosync where not): `stopPacemaker` also
 * stops a pacemakerd the product started, through the product's own stop script.
 */
import { execFile } from 'node:child_process';
import { stopPacemakerScript } from '../../engine/ha/scripts';
import type { Lab } from './lab';

export const PACEMAKER_LOG = '/var/log/pacemaker/pacemakerd-f.log';

/** Whether Pacemaker (and its CLI tools) are installed on this machine. */
export async function pacemakerSupport(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { accessSync, constants } = await import('node:fs');
  for (const tool of [
    '/usr/sbin/pacemakerd',
    '/usr/sbin/crm_mon',
    '/usr/sbin/cibadmin',
    '/usr/lib/ocf/resource.d/heartbeat/IPaddr2',
  ]) {
    try {
      accessSync(tool, constants.X_OK);
    } catch {
      return {
        ok: false,
        reason: `${tool} is missing (apt-get install --no-install-recommends pacemaker pacemaker-cli-utils resource-agents iputils-arping)`,
      };
    }
  }
  return { ok: true };
}

/** Start pacemakerd on each host (corosync must be running there); returns host index → PID (root namespace). */
export async function startPacemaker(lab: Lab, hosts: readonly (string | number)[]): Promise<Map<number, number>> {
  const pids = new Map<number, number>();
  for (const ref of hosts) {
    const h = lab.host(ref);
    await lab.exec(h.index, `install -d -o hacluster -g haclient /var/log/pacemaker; : > ${PACEMAKER_LOG}`);
    pids.set(h.index, await lab.spawnDaemon(h.index, ['/usr/sbin/pacemakerd'], { logFile: PACEMAKER_LOG }));
  }
  return pids;
}

/**
 * Until `crm_mon` on `host` names a Designated Controller and sees `online` nodes online
 * (Pacemaker needs ≈ 20 s from start here). Returns the DC's name.
 */
export async function waitPacemakerDc(
  lab: Lab,
  host: string | number,
  online: number,
  timeoutMs = 90_000,
): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    const r = await lab.exec(host, 'crm_mon --output-as=xml', { timeoutMs: 10_000 });
    last = r.stdout + r.stderr;
    const dc = /<current_dc [^>]*present="true"[^>]*name="([^"]+)"/.exec(r.stdout);
    const nodes = [...r.stdout.matchAll(/<node name="[^"]+"[^>]*online="true"/g)].length;
    if (dc && nodes >= online) {
      return dc[1] as string;
    }
    await new Promise((r2) => setTimeout(r2, 1000));
  }
  throw new Error(
    `${lab.host(host).name}: no Pacemaker DC with ${online} nodes online after ${timeoutMs} ms: ${last.slice(-800)}`,
  );
}

/**
 * Stop Pacemaker on `hosts` (default: all): the pacemakerds this helper started (SIGTERM, which
 * pacemakerd turns into an orderly shutdown of its children; generous grace), and any the product
 * started (its own stop script, run inside the host).
 */
export async function stopPacemaker(lab: Lab, hosts?: readonly (string | number)[]): Promise<void> {
  const indexes = (hosts ?? lab.hosts.map((h) => h.index)).map((r) => lab.host(r).index);
  await Promise.all(
    indexes.map(async (i) => {
      for (const d of lab.daemons(i).filter((x) => x.argv[0]?.endsWith('pacemakerd'))) {
        await lab.killDaemon(d.pid, { graceMs: 30_000 });
      }
      await lab.exec(i, stopPacemakerScript(), { timeoutMs: 60_000 });
    }),
  );
}

/** One ping from the root namespace (the lab's "LAN side", where a user's machine would be). */
export function pingFromRoot(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('ping', ['-n', '-q', '-c', '1', '-W', '1', ip], (e) => resolve(!e));
  });
}
