/**
 * Pure builders for the shell the bootstrapper runs on a machine (POSIX sh, run as root), and pure
 * readers for what it prints. Everything the agent adds to a machine is named here, so install and
 * uninstall agree on the list and a test can check "nothing left".
 * One file on purpose (just over 400 lines): install and uninstall must name the same files.
 */
import { raw, sh } from '../shell';

import {
  AGENT_ALERTS_FILE,
  AGENT_JOURNAL_FILE,
  AGENT_SENT_FILE,
  AGENT_STATE_DIR,
  AGENT_VIEW_FILE,
} from '../agent/state-paths';

/** Where the agent lives. /usr/local is the admin's, never a package's: no dpkg conflict. */
export const AGENT_DIR = '/usr/local/lib/quorate-agent';
export const AGENT_BUNDLE_PATH = `${AGENT_DIR}/quorate-agent.cjs`;
export const AGENT_VERSION_PATH = `${AGENT_DIR}/VERSION`;
export const AGENT_SUPERVISOR_PATH = `${AGENT_DIR}/supervise.sh`;
/** Present when Quorate installed nodejs with apt (uninstall reports it; it does not remove nodejs). */
export const AGENT_NODE_MARKER_PATH = `${AGENT_DIR}/NODEJS_INSTALLED_BY_QUORATE`;
export const AGENT_RUN_DIR = '/run/quorate-agent';
export const AGENT_SOCKET_PATH = `${AGENT_RUN_DIR}/agent.sock`;
export const AGENT_SUPERVISOR_PID_PATH = `${AGENT_RUN_DIR}/supervisor.pid`;
export const AGENT_PID_PATH = `${AGENT_RUN_DIR}/agent.pid`;
export const AGENT_UNIT_NAME = 'quorate-agent.service';
export const AGENT_UNIT_PATH = `/etc/systemd/system/${AGENT_UNIT_NAME}`;
export const AGENT_LOG_PATH = '/var/log/quorate-agent.log';
/** The agent's journal and alert settings (root-only; see engine/agent/state-paths.ts). */
export const AGENT_STATE_FILES: readonly string[] = [
  AGENT_JOURNAL_FILE,
  `${AGENT_JOURNAL_FILE}.tmp`,
  AGENT_VIEW_FILE,
  `${AGENT_VIEW_FILE}.tmp`,
  AGENT_ALERTS_FILE,
  `${AGENT_ALERTS_FILE}.tmp`,
  AGENT_SENT_FILE,
  `${AGENT_SENT_FILE}.tmp`,
].map((f) => `${AGENT_STATE_DIR}/${f}`);
/** Everything install may create; uninstall removes exactly these. */
export const AGENT_FILES: readonly string[] = [
  AGENT_BUNDLE_PATH,
  AGENT_VERSION_PATH,
  AGENT_SUPERVISOR_PATH,
  AGENT_NODE_MARKER_PATH,
  AGENT_SOCKET_PATH,
  AGENT_SUPERVISOR_PID_PATH,
  AGENT_PID_PATH,
  AGENT_UNIT_PATH,
  AGENT_LOG_PATH,
  ...AGENT_STATE_FILES,
];
export const AGENT_DIRS: readonly string[] = [AGENT_DIR, AGENT_RUN_DIR, AGENT_STATE_DIR];

/** The oldest Node the bundle targets (esbuild `node18`). */
export const MIN_NODE_MAJOR = 18;
const PATH_LINE = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * A Node binary path the scripts and the systemd unit may carry: absolute, no whitespace, quotes, `$`,
 * `%` (a systemd specifier) or other characters a unit file or a shell would interpret.
 */
export function isPlainPath(path: string): boolean {
  return /^\/[A-Za-z0-9._+/-]+$/.test(path) && !path.split('/').includes('..');
}

/** `node quorate-agent.cjs call METHOD JSON`: one agent call through the machine's shell. */
export function agentCallCommand(method: string, params: unknown, timeoutMs: number): string {
  return sh`node ${AGENT_BUNDLE_PATH} call ${method} ${JSON.stringify(params)} --timeout ${timeoutMs} --socket ${AGENT_SOCKET_PATH}`;
}

/** What `inspectScript` reports about a machine. */
export interface MachineState {
  /** Path of `node`, null when absent. */
  readonly nodePath: string | null;
  /** `v20.20.2`, null when absent. */
  readonly nodeVersion: string | null;
  readonly systemd: boolean;
  readonly apt: boolean;
  readonly uid: number | null;
  /** First line of VERSION: the installed agent version, null when not installed. */
  readonly installedVersion: string | null;
  /** Second line of VERSION: `sha256:…` of the installed bundle. */
  readonly installedDigest: string | null;
  /** PID of the running agent (service MainPID or the supervisor's child), null when not running. */
  readonly agentPid: number | null;
  /** The running agent's `hello` (version), null when it does not answer. */
  readonly runningVersion: string | null;
}

/** Prints `key=value` lines describing Node, systemd, apt and the installed/running agent. Read-only. */
export function inspectScript(): string {
  return sh`${raw(PATH_LINE)}; export PATH
node_path=$(command -v node 2>/dev/null || command -v nodejs 2>/dev/null || true)
echo "node=$node_path"
[ -n "$node_path" ] && echo "node_version=$("$node_path" -v 2>/dev/null)"
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo systemd=yes; else echo systemd=no; fi
if command -v apt-get >/dev/null 2>&1; then echo apt=yes; else echo apt=no; fi
echo "uid=$(id -u)"
if [ -f ${AGENT_VERSION_PATH} ]; then echo "installed=$(sed -n 1p ${AGENT_VERSION_PATH})"; echo "installed_digest=$(sed -n 2p ${AGENT_VERSION_PATH})"; fi
${raw(agentPidShell())}
[ -n "$pid" ] && echo "agent_pid=$pid"
if [ -n "$pid" ] && [ -n "$node_path" ] && [ -S ${AGENT_SOCKET_PATH} ] && [ -f ${AGENT_BUNDLE_PATH} ]; then
  echo "hello=$("$node_path" ${AGENT_BUNDLE_PATH} call hello --timeout 3000 --socket ${AGENT_SOCKET_PATH} 2>/dev/null)"
fi
exit 0
`;
}

/** Sets `$pid` to the running agent's PID, checking /proc/PID/cmdline really is our bundle. */
function agentPidShell(): string {
  return sh`pid=
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 && [ -f ${AGENT_UNIT_PATH} ]; then
  _p=$(systemctl show -p MainPID --value ${AGENT_UNIT_NAME} 2>/dev/null)
  [ -n "$_p" ] && [ "$_p" != 0 ] && pid=$_p
elif [ -f ${AGENT_PID_PATH} ]; then
  _p=$(cat ${AGENT_PID_PATH} 2>/dev/null)
  if [ -n "$_p" ] && tr '\\0' ' ' < /proc/$_p/cmdline 2>/dev/null | grep -q 'quorate-agent.cjs serve'; then pid=$_p; fi
fi`;
}

/** Read `inspectScript`'s output. */
export function parseMachineState(stdout: string): MachineState {
  const kv = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) {
      kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
    }
  }
  const str = (k: string): string | null => {
    const v = kv.get(k);
    return v === undefined || v === '' ? null : v;
  };
  const pid = Number(str('agent_pid'));
  const uid = str('uid');
  let runningVersion: string | null = null;
  const hello = str('hello');
  if (hello) {
    try {
      const parsed = JSON.parse(hello) as { result?: { agentVersion?: unknown } };
      if (typeof parsed.result?.agentVersion === 'string') {
        runningVersion = parsed.result.agentVersion;
      }
    } catch {
      runningVersion = null;
    }
  }
  return {
    nodePath: str('node'),
    nodeVersion: str('node_version'),
    systemd: kv.get('systemd') === 'yes',
    apt: kv.get('apt') === 'yes',
    uid: uid === null ? null : Number(uid),
    installedVersion: str('installed'),
    installedDigest: str('installed_digest'),
    agentPid: Number.isInteger(pid) && pid > 0 ? pid : null,
    runningVersion,
  };
}

/** `v18.19.0` → 18; null for anything else. */
export function nodeMajor(version: string | null): number | null {
  const m = /^v?(\d+)\./.exec(version ?? '');
  return m ? Number(m[1]) : null;
}

/** Compare dotted versions numerically: <0, 0, >0. Non-numeric parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) {
      return d;
    }
  }
  return 0;
}

export type InstallAction =
  /** Same version and bundle installed and answering: touch nothing. */
  | 'unchanged'
  /** Installed and current but not running: start it. */
  | 'start'
  | 'install'
  | 'upgrade'
  /** Same or newer version with a different bundle, or a downgrade: replace it with ours. */
  | 'replace';

export interface InstallPlan {
  readonly action: InstallAction;
  /** Install nodejs with apt first. */
  readonly installNode: boolean;
  /** Why, in one sentence for progress output. */
  readonly reason: string;
}

/** Decide what install must do. Pure; `null` + problem when it cannot proceed (no Node, no apt). */
export function planInstall(
  state: MachineState,
  bundle: { version: string; digest: string },
): { ok: true; plan: InstallPlan } | { ok: false; problem: 'no-node' | 'old-node' } {
  const major = nodeMajor(state.nodeVersion);
  const nodeOk = state.nodePath !== null && major !== null && major >= MIN_NODE_MAJOR;
  if (!nodeOk && !state.apt) {
    return { ok: false, problem: state.nodePath === null ? 'no-node' : 'old-node' };
  }
  const installNode = !nodeOk;
  const same = state.installedVersion === bundle.version && state.installedDigest === bundle.digest;
  if (same && !installNode) {
    if (state.agentPid !== null && state.runningVersion === bundle.version) {
      return {
        ok: true,
        plan: {
          action: 'unchanged',
          installNode,
          reason: `already installed, same version (${bundle.version}), running as PID ${state.agentPid}`,
        },
      };
    }
    return {
      ok: true,
      plan: {
        action: 'start',
        installNode,
        reason: `version ${bundle.version} installed but not running: starting it`,
      },
    };
  }
  if (state.installedVersion === null) {
    return { ok: true, plan: { action: 'install', installNode, reason: `installing agent ${bundle.version}` } };
  }
  if (compareVersions(state.installedVersion, bundle.version) < 0) {
    return {
      ok: true,
      plan: { action: 'upgrade', installNode, reason: `upgrading agent ${state.installedVersion} → ${bundle.version}` },
    };
  }
  return {
    ok: true,
    plan: {
      action: 'replace',
      installNode,
      reason: `replacing agent ${state.installedVersion} (${state.installedDigest ?? 'no digest'}) with ${bundle.version} (${bundle.digest})`,
    },
  };
}

/** Installs Debian's nodejs (bookworm: 18.x), non-interactively; refreshes package lists only when needed. */
export function installNodeScript(): string {
  return sh`${raw(PATH_LINE)}; export PATH
export DEBIAN_FRONTEND=noninteractive
set -e
echo "installing nodejs with apt-get"
apt-get install -y -q nodejs || { apt-get update -q && apt-get install -y -q nodejs; }
mkdir -p -m 0755 ${AGENT_DIR}
echo "nodejs $(node -v) installed by Quorate $(date -u +%Y-%m-%dT%H:%M:%SZ)" > ${AGENT_NODE_MARKER_PATH}
node -v
`;
}

/** Make the install directory (before the bundle upload). */
export function prepareScript(): string {
  return sh`mkdir -p -m 0755 ${AGENT_DIR} && chmod 0755 ${AGENT_DIR}`;
}

/**
 * The supervisor for machines without systemd: restarts the agent when it dies (1 s back-off), keeps
 * PID files under /run/quorate-agent, stops the agent and cleans up on TERM.
 */
export function supervisorScript(nodePath: string): string {
  return sh`#!/bin/sh
# quorate-agent supervisor (machines without systemd). Installed by Quorate; "quorate uninstall" removes it.
${raw(PATH_LINE)}; export PATH
mkdir -p -m 0700 ${AGENT_RUN_DIR}
echo $$ > ${AGENT_SUPERVISOR_PID_PATH}
child=
stopping=0
trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT HUP
while [ "$stopping" = 0 ]; do
  ${nodePath} ${AGENT_BUNDLE_PATH} serve --socket ${AGENT_SOCKET_PATH} &
  child=$!
  echo "$child" > ${AGENT_PID_PATH}
  # wait returns early when a trapped signal arrives: wait again until the agent is really gone.
  while kill -0 "$child" 2>/dev/null; do wait "$child"; done
  rm -f ${AGENT_PID_PATH}
  [ "$stopping" = 0 ] && echo "quorate-agent exited; restarting in 1 s" && sleep 1
done
rm -f ${AGENT_SUPERVISOR_PID_PATH}
rmdir ${AGENT_RUN_DIR} 2>/dev/null
exit 0
`;
}

/** The systemd unit. RuntimeDirectory gives /run/quorate-agent (0700) and removes it on stop. */
export function systemdUnit(nodePath: string): string {
  return `[Unit]
Description=Quorate node agent (unix socket ${AGENT_SOCKET_PATH}, no TCP port)
After=network.target

[Service]
Type=simple
ExecStart=${nodePath} ${AGENT_BUNDLE_PATH} serve --socket ${AGENT_SOCKET_PATH}
Restart=always
RestartSec=1
RuntimeDirectory=quorate-agent
RuntimeDirectoryMode=0700
Environment=${PATH_LINE}

[Install]
WantedBy=multi-user.target
`;
}

/** Stops the agent however it runs; only kills PIDs whose command line is ours. */
function stopShell(): string {
  return sh`if [ -f ${AGENT_UNIT_PATH} ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl stop ${AGENT_UNIT_NAME} 2>/dev/null || true
fi
ours() { tr '\\0' ' ' < /proc/$1/cmdline 2>/dev/null | grep -q "$2"; }
stop_pid() {
  [ -f "$1" ] || return 0
  _p=$(cat "$1" 2>/dev/null)
  if [ -n "$_p" ] && ours "$_p" "$2"; then
    kill -TERM "$_p" 2>/dev/null
    _i=0; while ours "$_p" "$2" && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i+1)); done
    ours "$_p" "$2" && kill -KILL "$_p" 2>/dev/null
  fi
  rm -f "$1"
}
stop_pid ${AGENT_SUPERVISOR_PID_PATH} 'quorate-agent/supervise.sh'
stop_pid ${AGENT_PID_PATH} 'quorate-agent.cjs serve'`;
}

export interface ActivateOptions {
  readonly nodePath: string;
  readonly systemd: boolean;
  readonly version: string;
  readonly digest: string;
  /** Seconds to wait for the agent to answer. */
  readonly waitS?: number;
}

/**
 * Stop any agent or supervisor of ours (so a crash-looping one is never doubled), write VERSION and
 * the service (unit or supervisor), start, and wait until the agent answers
 * `hello` on its socket. Prints `agent_pid=` and `hello=` lines (read by `parseMachineState`).
 */
export function activateScript(o: ActivateOptions): string {
  const tries = Math.round((o.waitS ?? 15) * 10);
  // The service file is one quoted printf word: no heredoc, so no line of it can end the file early.
  const service = o.systemd
    ? sh`printf '%s' ${systemdUnit(o.nodePath)} > ${AGENT_UNIT_PATH}
chmod 0644 ${AGENT_UNIT_PATH}
systemctl daemon-reload
systemctl enable ${AGENT_UNIT_NAME} >/dev/null 2>&1 || true
systemctl start ${AGENT_UNIT_NAME}`
    : sh`printf '%s' ${supervisorScript(o.nodePath)} > ${AGENT_SUPERVISOR_PATH}
chmod 0755 ${AGENT_SUPERVISOR_PATH}
mkdir -p -m 0700 ${AGENT_RUN_DIR}
# Detached from this SSH session: its own session, no terminal, output to the log.
setsid -f sh ${AGENT_SUPERVISOR_PATH} </dev/null >>${AGENT_LOG_PATH} 2>&1`;
  const silent = `the agent did not answer on ${AGENT_SOCKET_PATH} within ${o.waitS ?? 15} s; last log lines:`;
  return sh`${raw(PATH_LINE)}; export PATH
set -e
${raw(stopShell())}
printf '%s\\n%s\\n' ${o.version} ${o.digest} > ${AGENT_VERSION_PATH}.tmp
chmod 0644 ${AGENT_VERSION_PATH}.tmp
mv -f ${AGENT_VERSION_PATH}.tmp ${AGENT_VERSION_PATH}
${raw(service)}
set +e
i=0
while [ $i -lt ${tries} ]; do
  if [ -S ${AGENT_SOCKET_PATH} ]; then
    hello=$(${o.nodePath} ${AGENT_BUNDLE_PATH} call hello --timeout 2000 --socket ${AGENT_SOCKET_PATH} 2>/dev/null) && break
  fi
  sleep 0.1; i=$((i+1))
done
${raw(agentPidShell())}
echo "agent_pid=$pid"
echo "hello=$hello"
[ -n "$hello" ] || { echo ${silent} >&2; tail -n 20 ${AGENT_LOG_PATH} >&2 2>/dev/null; exit 1; }
`;
}

/**
 * Stop the agent and remove everything install added (AGENT_FILES, AGENT_DIRS) and nothing else.
 * nodejs stays (other software may use it by now); `node_by_quorate=yes` says Quorate had installed it.
 */
export function uninstallScript(): string {
  return sh`${raw(PATH_LINE)}; export PATH
${raw(stopShell())}
if [ -f ${AGENT_UNIT_PATH} ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable ${AGENT_UNIT_NAME} >/dev/null 2>&1 || true
  rm -f ${AGENT_UNIT_PATH}
  systemctl daemon-reload || true
fi
[ -f ${AGENT_NODE_MARKER_PATH} ] && echo node_by_quorate=yes
removed=0
for f in ${AGENT_FILES} ${AGENT_VERSION_PATH}.tmp; do
  if [ -e "$f" ] || [ -S "$f" ]; then rm -f "$f" && removed=$((removed+1)) && echo "removed=$f"; fi
done
for d in ${AGENT_DIRS}; do
  if [ -d "$d" ]; then rmdir "$d" 2>/dev/null && echo "removed=$d" || echo "kept=$d (not empty: files Quorate did not create)"; fi
done
exit 0
`;
}
