/**
 * The shell a step runs on a node, built purely from the action so it can be read and table-tested.
 * Services run under systemd where PID 1 is systemd; elsewhere (containers, the test lab) a small
 * supervisor: the daemon is started detached in the foreground mode with a pid file under
 * /run/quorate and its output in /var/log/quorate/<service>.log.
 */
import { raw, sh } from '../shell';
import type { ServiceName } from '../plan/plan';

import { CONF, CONF_NEW } from '../plan/paths';

export { AUTHKEY, CONF, CONF_NEW } from '../plan/paths';

const hasSystemd = raw('[ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1');

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
  const running = raw(isRunningCommand(service));
  const log = `/var/log/quorate/${service}.log`;
  return [
    sh`if ${running}; then echo already running; exit 0; fi`,
    sh`if ${hasSystemd}; then systemctl enable --now ${service}; else`,
    `  mkdir -p /run/quorate /var/log/quorate`,
    sh`  setsid nohup ${raw(foreground(service))} </dev/null >>${log} 2>&1 &`,
    sh`  echo $! > ${`/run/quorate/${service}.pid`}`,
    `fi`,
    // Polled every 0.1 s (the daemon's own tool over IPC, a few ms): the step ends ~0.1 s after it answers.
    sh`i=0; while [ $i -lt ${waitS * 10} ]; do ${running} && exit 0; sleep 0.1; i=$((i+1)); done`,
    sh`echo ${`${service} did not come up within ${waitS}s`} >&2; tail -n 20 ${log} 2>/dev/null >&2; exit 1`,
  ].join('\n');
}

/** Stop (idempotent): nothing when not running. */
export function stopServiceScript(service: ServiceName): string {
  const pidfile = `/run/quorate/${service}.pid`;
  const running = raw(isRunningCommand(service));
  return [
    sh`if ${hasSystemd}; then systemctl disable --now ${service}; exit $?; fi`,
    sh`if [ -f ${pidfile} ]; then p=$(cat ${pidfile}); kill "$p" 2>/dev/null; i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done; kill -9 "$p" 2>/dev/null; rm -f ${pidfile}; fi`,
    service === 'corosync' ? sh`if ${running}; then corosync-cfgtool -H --force >/dev/null 2>&1; sleep 1; fi` : ':',
    sh`if ${running}; then echo ${`${service} still running`} >&2; exit 1; fi`,
    'exit 0',
  ].join('\n');
}

/**
 * After the new file was uploaded to CONF_NEW: test it with corosync's own parser (`corosync -c F -t`
 * also checks that this host is in the nodelist), back up the current file, rename over it.
 * The rename is the commit: a kill before it leaves the old file, after it the new one.
 */
export function installConfScript(from?: number): string {
  // Compare-and-swap (`from`): a node whose file moved on since the plan (another tool, a hand
  // edit, a concurrent operation) is refused with exit 4 and keeps its file.
  const cas =
    from === undefined
      ? []
      : [
          sh`if [ "\${v:-0}" != ${String(from)} ]; then echo "corosync.conf is at config_version \${v:-0}, not "${String(from)}" as planned: refusing to overwrite it" >&2; rm -f ${CONF_NEW}; exit 4; fi`,
        ];
  return [
    'set -e',
    // An adopted file may log to a directory this node's packages never made (pcs: /var/log/cluster);
    // corosync refuses to start without it ("Can't open logfile"), so make it as the packages would.
    sh`lf=$(sed -n ${LOGFILE_SED} ${CONF_NEW} | head -n1); case "$lf" in /*) mkdir -p "$(dirname "$lf")";; esac`,
    sh`out=$(corosync -c ${CONF_NEW} -t 2>&1) || { echo "corosync -t refused the new corosync.conf: $out" >&2; rm -f ${CONF_NEW}; exit 3; }`,
    sh`v=''; if [ -f ${CONF} ]; then v=$(sed -n ${CONFIG_VERSION_SED} ${CONF} | head -n1); fi`,
    ...cas,
    sh`if [ -f ${CONF} ]; then cp -p ${CONF} ${CONF}.bak.\${v:-0}; fi`,
    sh`mv -f ${CONF_NEW} ${CONF}`,
    'sync',
  ].join('\n');
}

/** Prints the value of the first `logfile:` line of a corosync.conf (sed script). */
const LOGFILE_SED = 's/^[[:space:]]*logfile:[[:space:]]*\\([^[:space:]]*\\).*/\\1/p';

/** Prints the first config_version of a corosync.conf (sed script, one word). */
const CONFIG_VERSION_SED = 's/^[[:space:]]*config_version:[[:space:]]*\\([0-9]*\\).*/\\1/p';

/**
 * Undo an install: the backup of `version` goes back; null means there was no file before.
 * A node whose file already is at `version` (its install never ran) is left alone.
 */
export function restoreConfScript(version: number | null): string {
  if (version === null) {
    return sh`rm -f ${CONF} ${CONF_NEW}`;
  }
  const backup = `${CONF}.bak.${version}`;
  return [
    'set -e',
    sh`rm -f ${CONF_NEW}`,
    sh`cur=$(sed -n ${CONFIG_VERSION_SED} ${CONF} 2>/dev/null | head -n1)`,
    sh`[ "$cur" = ${String(version)} ] && exit 0`,
    sh`[ -f ${backup} ] || { echo ${`no backup ${backup} (current config_version`} "$cur)" >&2; exit 1; }`,
    sh`cp -p ${backup} ${CONF_NEW}`,
    sh`mv -f ${CONF_NEW} ${CONF}`,
  ].join('\n');
}

/** sha256 of a file, or nothing when absent (for idempotent writes). */
export function sha256Command(path: string): string {
  return sh`[ -f ${path} ] && sha256sum -- ${path} | cut -d' ' -f1 || true`;
}

/** A file's bytes as one base64 line (copy-file reads its source this way). */
export function readBase64Command(path: string): string {
  return sh`base64 -w0 -- ${path}`;
}

/** Create a directory and its parents (idempotent). */
export function mkdirCommand(dir: string): string {
  return sh`mkdir -p -- ${dir}`;
}

/**
 * What a step's script prints (alone on a line) when the machine already was in the wanted state:
 * the executor then reports the step as skipped. One command per step instead of a check and then
 * the change: every command is a new SSH session channel (sshd runs PAM for each, ~0.1 s).
 */
export const ALREADY_DONE = '__quorate_already_done__';

/** A `run` step with `doneIf`: the check (in a subshell, output dropped) and the command in one script. */
export function runUnlessDoneScript(doneIf: string, command: string): string {
  return [sh`if ( ${raw(doneIf)} ) >/dev/null 2>&1; then echo ${ALREADY_DONE}; exit 0; fi`, command].join('\n');
}

/**
 * Write the base64 text on stdin to `path` with `mode`, atomically (a temporary file beside it,
 * renamed over it); nothing when the file already has the sha256 `want`. `mkdir`: create its
 * directory first.
 */
export function writeFromStdinScript(path: string, want: string, mode: number, opts: { mkdir?: boolean } = {}): string {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash) || '/';
  const template = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.quorate-XXXXXX`;
  return [
    'set -e',
    sh`if [ -f ${path} ] && [ "$(sha256sum -- ${path} | cut -d' ' -f1)" = ${want} ]; then echo ${ALREADY_DONE}; exit 0; fi`,
    ...(opts.mkdir ? [mkdirCommand(dir)] : []),
    sh`t=$(mktemp -- ${template})`,
    `trap 'rm -f -- "$t"' EXIT`,
    'base64 -d > "$t"',
    sh`chmod ${mode.toString(8).padStart(4, '0')} "$t"`,
    sh`mv -f -- "$t" ${path}`,
    'trap - EXIT',
  ].join('\n');
}

/**
 * install-conf in one command: nothing when corosync.conf already is `want` (sha256); else the new
 * file (base64 on stdin) is staged as CONF_NEW and installed by `installConfScript(from)`.
 */
export function stagedInstallConfScript(want: string, from?: number): string {
  return [
    'set -e',
    sh`if [ -f ${CONF} ] && [ "$(sha256sum -- ${CONF} | cut -d' ' -f1)" = ${want} ]; then echo ${ALREADY_DONE}; exit 0; fi`,
    sh`(umask 022; base64 -d > ${`${CONF_NEW}.part`}) && mv -f -- ${`${CONF_NEW}.part`} ${CONF_NEW}`,
    installConfScript(from),
  ].join('\n');
}

/**
 * Waits on the node itself (polling every 0.1 s, at most `seconds`) until `corosync-quorumtool -s`
 * looks like what a verify step wants — its exit code (0 quorate, 2 not) and `Nodes: N` — then
 * prints that output once. A pre-filter only, to answer within ~0.1 s of the change with one SSH
 * command instead of one per poll: the executor parses the output and decides.
 */
export function quorumWaitScript(want: { members: number; quorate: boolean }, seconds: number): string {
  const polls = Math.max(1, Math.round(seconds * 10));
  const rc = want.quorate ? 0 : 2;
  return [
    sh`i=0; while :; do out=$(corosync-quorumtool -s 2>&1); rc=$?`,
    sh`  if [ $rc -eq ${rc} ] && printf '%s\\n' "$out" | grep -Eq ${`^Nodes:[[:space:]]+${want.members}[[:space:]]*$`}; then break; fi`,
    sh`  i=$((i+1)); [ $i -ge ${polls} ] && break; sleep 0.1`,
    'done',
    `printf '%s\\n' "$out"`,
  ].join('\n');
}
