/**
 * The shell a step runs on a node, built purely from the action so it can be read and table-tested.
 * Services run under systemd where PID 1 is systemd; elsewhere (containers, the test lab) a small
 * supervisor: the daemon is started detached in the foreground mode with a pid file under
 * /run/quorate and its output in /var/log/quorate/<service>.log.
 */
import type { ServiceName } from './plan';

export const CONF = '/etc/corosync/corosync.conf';
export const CONF_NEW = '/etc/corosync/corosync.conf.quorate-new';
export const AUTHKEY = '/etc/corosync/authkey';

/** Single-quote for sh. */
export function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const hasSystemd = '[ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1';

/** How to tell the service is up: each daemon answers its own tool over IPC. */
export function isRunningCommand(service: ServiceName): string {
  switch (service) {
    case 'corosync':
      return 'corosync-cfgtool -s >/dev/null 2>&1';
    case 'corosync-qdevice':
      return 'corosync-qdevice-tool -s >/dev/null 2>&1';
    case 'corosync-qnetd':
      return 'corosync-qnetd-tool -s >/dev/null 2>&1';
  }
}

function foreground(service: ServiceName): string {
  switch (service) {
    case 'corosync':
      return 'corosync -f';
    case 'corosync-qdevice':
      return 'corosync-qdevice -f -d';
    // qnetd drops privileges to the coroqnetd user; its nssdb must be readable by it (Debian's postinst does this).
    case 'corosync-qnetd':
      return 'corosync-qnetd -f -d';
  }
}

/** Start (idempotent): nothing when running; waits up to `waitS` seconds for the daemon to answer. */
export function startServiceScript(service: ServiceName, waitS = 15): string {
  return [
    `if ${isRunningCommand(service)}; then echo already running; exit 0; fi`,
    `if ${hasSystemd}; then systemctl enable --now ${service}; else`,
    `  mkdir -p /run/quorate /var/log/quorate`,
    `  setsid nohup ${foreground(service)} </dev/null >>/var/log/quorate/${service}.log 2>&1 &`,
    `  echo $! > /run/quorate/${service}.pid`,
    `fi`,
    `i=0; while [ $i -lt ${waitS * 5} ]; do ${isRunningCommand(service)} && exit 0; sleep 0.2; i=$((i+1)); done`,
    `echo "${service} did not come up within ${waitS}s" >&2; tail -n 20 /var/log/quorate/${service}.log 2>/dev/null >&2; exit 1`,
  ].join('\n');
}

/** Stop (idempotent): nothing when not running. */
export function stopServiceScript(service: ServiceName): string {
  const pidfile = `/run/quorate/${service}.pid`;
  return [
    `if ${hasSystemd}; then systemctl disable --now ${service}; exit $?; fi`,
    `if [ -f ${pidfile} ]; then p=$(cat ${pidfile}); kill "$p" 2>/dev/null; i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done; kill -9 "$p" 2>/dev/null; rm -f ${pidfile}; fi`,
    service === 'corosync'
      ? `if ${isRunningCommand(service)}; then corosync-cfgtool -H --force >/dev/null 2>&1; sleep 1; fi`
      : ':',
    `if ${isRunningCommand(service)}; then echo "${service} still running" >&2; exit 1; fi`,
    'exit 0',
  ].join('\n');
}

/**
 * After the new file was uploaded to CONF_NEW: test it with corosync's own parser (`corosync -c F -t`
 * also checks that this host is in the nodelist), back up the current file, rename over it.
 * The rename is the commit: a kill before it leaves the old file, after it the new one.
 */
export function installConfScript(): string {
  return [
    'set -e',
    `out=$(corosync -c ${CONF_NEW} -t 2>&1) || { echo "corosync -t refused the new corosync.conf: $out" >&2; rm -f ${CONF_NEW}; exit 3; }`,
    `if [ -f ${CONF} ]; then v=$(sed -n 's/^[[:space:]]*config_version:[[:space:]]*\\([0-9]*\\).*/\\1/p' ${CONF} | head -n1); cp -p ${CONF} ${CONF}.bak.\${v:-0}; fi`,
    `mv -f ${CONF_NEW} ${CONF}`,
    'sync',
  ].join('\n');
}

/**
 * Undo an install: the backup of `version` goes back; null means there was no file before.
 * A node whose file already is at `version` (its install never ran) is left alone.
 */
export function restoreConfScript(version: number | null): string {
  if (version === null) {
    return `rm -f ${CONF} ${CONF_NEW}`;
  }
  return [
    'set -e',
    `rm -f ${CONF_NEW}`,
    `cur=$(sed -n 's/^[[:space:]]*config_version:[[:space:]]*\\([0-9]*\\).*/\\1/p' ${CONF} 2>/dev/null | head -n1)`,
    `[ "$cur" = "${version}" ] && exit 0`,
    `[ -f ${CONF}.bak.${version} ] || { echo "no backup ${CONF}.bak.${version} (current config_version $cur)" >&2; exit 1; }`,
    `cp -p ${CONF}.bak.${version} ${CONF_NEW}`,
    `mv -f ${CONF_NEW} ${CONF}`,
  ].join('\n');
}

/** sha256 of a file, or nothing when absent (for idempotent writes). */
export function sha256Command(path: string): string {
  return `[ -f ${sh(path)} ] && sha256sum ${sh(path)} | cut -d' ' -f1 || true`;
}
