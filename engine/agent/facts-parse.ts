/** Pure parsers for the text the `facts` method reads. Table-tested. */
import type { GuestFact, OsRelease, TimeSyncFact } from './protocol';

/** /etc/os-release (shell-style KEY=value, optionally quoted). */
export function parseOsRelease(text: string): OsRelease {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) {
      continue;
    }
    let v = m[2]!.trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) {
      v = v.slice(1, -1);
    }
    map.set(m[1]!, v.replace(/\\(["$`\\])/g, '$1'));
  }
  return {
    id: map.get('ID') ?? null,
    versionId: map.get('VERSION_ID') ?? null,
    versionCodename: map.get('VERSION_CODENAME') ?? null,
    prettyName: map.get('PRETTY_NAME') ?? null,
  };
}

/** First `vendor_id` in /proc/cpuinfo; null where the kernel names none (most ARM boards). */
export function parseCpuVendor(cpuinfo: string): string | null {
  const m = /^vendor_id\s*:\s*(\S+)/m.exec(cpuinfo);
  return m ? m[1]! : null;
}

/** `Corosync Cluster Engine, version '3.1.7'` / `... Daemon, version '3.0.3'` → `3.1.7`. */
export function parseToolVersion(text: string): string | null {
  const m = /version '?(\d+(?:\.\d+)+)/i.exec(text);
  return m ? m[1]! : null;
}

/** `dpkg-query -W -f='${Version}'` (`3.0.3-1`, `1:2.3-4+deb12u1`) → upstream `3.0.3`. */
export function parseDebianVersion(text: string): string | null {
  const v = text.trim();
  if (v === '') {
    return null;
  }
  const upstream = v.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
  return /^\d/.test(upstream) ? upstream : null;
}

/** `pve-manager/8.2.4/faa83925c9641325 (running kernel: 6.8.8-2-pve)` → `8.2.4`. */
export function parsePveVersion(text: string): string | null {
  const m = /pve-manager\/(\d+(?:\.\d+)+)/.exec(text);
  return m ? m[1]! : null;
}

/**
 * `qm list`:   VMID NAME STATUS MEM(MB) BOOTDISK(GB) PID
 * `pct list`:  VMID Status Lock Name   (Lock may be empty)
 */
export function parseGuestList(text: string, kind: 'qemu' | 'lxc'): GuestFact[] {
  const guests: GuestFact[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 3 || !/^\d+$/.test(cols[0]!)) {
      continue;
    }
    const vmid = Number(cols[0]);
    if (kind === 'qemu') {
      guests.push({ vmid, name: cols[1]!, status: cols[2]!, kind });
    } else {
      // Lock is optional: the name is the last column, the status the second.
      guests.push({ vmid, name: cols[cols.length - 1]!, status: cols[1]!, kind });
    }
  }
  return guests;
}

/** `timedatectl show` (KEY=value). */
export function parseTimedatectl(text: string): TimeSyncFact {
  const get = (k: string): string | undefined => new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1]?.trim();
  const synced = get('NTPSynchronized');
  const ntp = get('NTP');
  const synchronized = synced === undefined ? null : synced === 'yes';
  const summary = synchronized
    ? 'NTP synchronized (timedatectl)'
    : ntp === 'no'
      ? 'no NTP service enabled (timedatectl: NTP=no)'
      : 'clock not synchronized (timedatectl)';
  return { source: 'timedatectl', synchronized, summary, raw: text };
}

/** `chronyc tracking`: `Leap status : Normal` means synchronized; `Not synchronised` means not. */
export function parseChronyTracking(text: string): TimeSyncFact {
  const leap = /^Leap status\s*:\s*(.*)$/m.exec(text)?.[1]?.trim();
  const synchronized = leap === undefined ? null : !/not synchroni[sz]ed/i.test(leap);
  return {
    source: 'chronyc',
    synchronized,
    summary: synchronized ? 'NTP synchronized (chrony)' : `clock not synchronized (chrony: ${leap ?? 'unknown'})`,
    raw: text,
  };
}
