/**
 * The text of the files a lab host starts with: the anchor script, sshd_config, /etc/hosts, and the
 * fake Proxmox tools. Pure: string builders only.
 */

/** Overlay/bind layout inside a host: target → source directory name under the host's lab dir. */
export const HOST_BINDS: readonly (readonly [target: string, source: string])[] = [
  ['/etc/corosync', 'etc-corosync'],
  ['/var/lib/corosync', 'var-lib-corosync'],
  ['/var/log', 'var-log'],
  ['/root', 'root'],
  ['/home', 'home'],
  ['/usr/local/lib', 'usr-local-lib'],
  ['/usr/local/sbin', 'usr-local-sbin'],
];

/** Copy-on-write layers: every change under these stays in the host. */
export const HOST_OVERLAYS: readonly (readonly [target: string, name: string])[] = [
  ['/etc', 'etc'],
  ['/var/lib', 'var-lib'],
];

/**
 * PID 1 of a host (run by bash inside `unshare -m -u -p --fork --mount-proc --propagation private`,
 * itself inside `ip netns exec <host netns>`). Mounts the host's private filesystems, sets the
 * hostname, reports `ready`, then idles and reaps orphans (bash reaps any child on SIGCHLD).
 * Arguments: host dir, hostname. The host dir lives under /tmp, so /tmp is mounted last.
 */
export function anchorScript(): string {
  const lines = [
    '#!/bin/bash',
    'set -e',
    'D=$1; NAME=$2',
    ...HOST_OVERLAYS.map(
      ([target, name]) =>
        `mount -t overlay overlay -o lowerdir=${target},upperdir="$D/${name}.upper",workdir="$D/${name}.work" ${target}`,
    ),
    ...HOST_BINDS.map(([target, source]) => `mount --bind "$D/${source}" ${target}`),
    'mount --bind "$D/tmp" /tmp',
    'mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run',
    'mkdir -p /run/sshd /run/lock /run/user /run/corosync-qdevice /run/corosync-qnetd',
    'chmod 1777 /run/lock',
    'chown coroqnetd:coroqnetd /run/corosync-qnetd 2>/dev/null || true',
    'mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm',
    'hostname "$NAME"',
    'echo ready',
    'exec </dev/null >/dev/null 2>&1',
    "trap 'exit 0' TERM",
    'while :; do sleep 3600 & wait $! || true; done',
    '',
  ];
  return lines.join('\n');
}

export interface SshdOptions {
  /** libfaketime offset for every session, seconds (0/undefined: real clock). */
  readonly skewSeconds?: number;
  /** Path of libfaketimeMT.so.1 (Debian package `libfaketime`, pulled in by `faketime`). */
  readonly faketimeLib?: string;
}

/** sshd_config of a lab host: root by password and key, no DNS, PAM on (as Debian ships it). */
export function sshdConfig(opts: SshdOptions = {}): string {
  const lines = [
    '# quorate lab host',
    'Port 22',
    'ListenAddress 0.0.0.0',
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'HostKey /etc/ssh/ssh_host_ecdsa_key',
    'PermitRootLogin yes',
    'PasswordAuthentication yes',
    'PubkeyAuthentication yes',
    'KbdInteractiveAuthentication no',
    'UsePAM yes',
    'UseDNS no',
    'PrintMotd no',
    'PidFile /run/sshd.pid',
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    'AllowTcpForwarding yes',
    'AllowStreamLocalForwarding yes',
    'AcceptEnv LANG LC_*',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
  ];
  const skew = opts.skewSeconds ?? 0;
  if (skew !== 0) {
    const offset = `${skew > 0 ? '+' : '-'}${Math.abs(skew)}`;
    // Sessions only: sshd itself keeps the real clock (it checks key validity periods).
    if (!opts.faketimeLib) {
      throw new Error('sshdConfig: a clock skew needs the path of libfaketimeMT.so.1');
    }
    lines.push(
      `SetEnv LD_PRELOAD=${opts.faketimeLib} FAKETIME=${offset} FAKETIME_DONT_FAKE_MONOTONIC=1 DONT_FAKE_MONOTONIC=1`,
    );
  }
  return lines.join('\n') + '\n';
}

export function etcHosts(
  own: { name: string; address: string },
  all: readonly { name: string; address: string }[],
): string {
  const lines = ['127.0.0.1\tlocalhost', `${own.address}\t${own.name}`, '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const h of all) {
    if (h.name !== own.name) {
      lines.push(`${h.address}\t${h.name}`);
    }
  }
  return lines.join('\n') + '\n';
}

export interface FakeGuest {
  readonly vmid: number;
  readonly name: string;
  readonly kind: 'qemu' | 'lxc';
  readonly status?: 'running' | 'stopped';
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `pveversion` as PVE prints it: `pve-manager/8.2.4/faa83925c9641325 (running kernel: 6.8.8-2-pve)`. */
export function fakePveversion(version: string, kernel = '6.8.8-2-pve'): string {
  const line = `pve-manager/${version}/faa83925c9641325 (running kernel: ${kernel})`;
  return `#!/bin/sh\n# quorate lab: fake Proxmox VE\nprintf '%s\\n' ${shQuote(line)}\n`;
}

/**
 * `qm list` in PVE's column format (PVE::CLI::qm `list`: `%10s %-20s %-10s %-10s %12s %-10s`,
 * sorted by VMID, nothing at all — not even the header — when there are no VMs).
 */
export function qmListOutput(guests: readonly FakeGuest[]): string {
  const vms = guests.filter((g) => g.kind === 'qemu').sort((a, b) => a.vmid - b.vmid);
  if (vms.length === 0) {
    return '';
  }
  const pad = (s: string, n: number, left: boolean) => (left ? s.padEnd(n) : s.padStart(n));
  const row = (c: readonly [string, string, string, string, string, string]) =>
    `${pad(c[0], 10, false)} ${pad(c[1], 20, true)} ${pad(c[2], 10, true)} ${pad(c[3], 10, true)} ${pad(c[4], 12, false)} ${pad(c[5], 10, true)}\n`;
  let out = row(['VMID', 'NAME', 'STATUS', 'MEM(MB)', 'BOOTDISK(GB)', 'PID']);
  vms.forEach((g, i) => {
    const running = (g.status ?? 'running') === 'running';
    out += row([
      String(g.vmid),
      g.name,
      running ? 'running' : 'stopped',
      '2048',
      '32.00',
      running ? String(4200 + i) : '0',
    ]);
  });
  return out;
}

/** `pct list` in PVE's column format (`%-10s %-10s %-12s %-20s`: VMID Status Lock Name; sorted; empty when none). */
export function pctListOutput(guests: readonly FakeGuest[]): string {
  const cts = guests.filter((g) => g.kind === 'lxc').sort((a, b) => a.vmid - b.vmid);
  if (cts.length === 0) {
    return '';
  }
  const row = (c: readonly [string, string, string, string]) =>
    `${c[0].padEnd(10)} ${c[1].padEnd(10)} ${c[2].padEnd(12)} ${c[3].padEnd(20)}\n`;
  let out = row(['VMID', 'Status', 'Lock', 'Name']);
  for (const g of cts) {
    out += row([String(g.vmid), g.status ?? 'running', '', g.name]);
  }
  return out;
}

/** A script that answers `<tool> list` with `listing` and fails for anything else. */
export function fakeListTool(tool: string, listing: string): string {
  return [
    '#!/bin/sh',
    '# quorate lab: fake Proxmox VE',
    'if [ "$1" = list ]; then',
    `  printf '%s' ${shQuote(listing)}`,
    '  exit 0',
    'fi',
    `echo "${tool}: quorate lab fake only implements '${tool} list'" >&2`,
    'exit 255',
    '',
  ].join('\n');
}

/**
 * `pvecm status` / `pvecm nodes` as PVE::CLI::pvecm runs them: status prints "Cluster information"
 * from the totem section of /etc/pve/corosync.conf (here falling back to /etc/corosync/corosync.conf,
 * since the lab has no pmxcfs), then execs `corosync-quorumtool -siH`; nodes execs `-l`.
 */
export function fakePvecm(): string {
  return String.raw`#!/bin/sh
# quorate lab: fake Proxmox VE pvecm (status, nodes only)
conf=/etc/pve/corosync.conf
[ -f "$conf" ] || conf=/etc/corosync/corosync.conf
if [ ! -f "$conf" ]; then
  echo "Error: Corosync config '/etc/pve/corosync.conf' does not exist - is this node part of a cluster?" >&2
  exit 255
fi
case "$1" in
status)
  awk '
    { line = $0; sub(/#.*/, "", line) }
    line ~ /\{/ { depth++; if (depth == 1 && line ~ /^[ \t]*totem[ \t]*\{/) intotem = 1; next }
    line ~ /\}/ { depth--; if (depth == 0) intotem = 0; next }
    intotem && depth == 1 && line ~ /:/ {
      k = line; sub(/:.*/, "", k); gsub(/[ \t]/, "", k)
      v = line; sub(/^[^:]*:[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
      val[k] = v; found = 1
    }
    END {
      if (!found) exit
      print "Cluster information"
      print "-------------------"
      printf "%-17s %s\n", "Name:", ("cluster_name" in val ? val["cluster_name"] : "UNKOWN?")
      printf "%-17s %s\n", "Config Version:", ("config_version" in val ? val["config_version"] : -1)
      printf "%-17s %s\n", "Transport:", ("transport" in val ? val["transport"] : "knet")
      printf "%-17s %s\n", "Secure auth:", ("secauth" in val ? val["secauth"] : "off")
      print ""
    }' "$conf"
  exec corosync-quorumtool -siH
  ;;
nodes)
  exec corosync-quorumtool -l
  ;;
*)
  echo "pvecm: quorate lab fake only implements 'pvecm status' and 'pvecm nodes'" >&2
  exit 255
  ;;
esac
`;
}
