/**
 * The shell `quorate ha …` runs on a node, built purely so it can be read and table-tested. Pacemaker
 * runs as corosync does under Quorate (engine/ops/scripts.ts): systemd where PID 1 is systemd;
 * elsewhere (containers, the test lab) the same small supervisor — pacemakerd started detached in
 * its foreground mode (it has no other), PID in /run/quorate/pacemaker.pid, output in
 * /var/log/quorate/pacemaker.log.
 */
import { raw, sh } from '../shell';

export const PACEMAKER_PID_FILE = '/run/quorate/pacemaker.pid';
export const PACEMAKER_LOG_FILE = '/var/log/quorate/pacemaker.log';
/** Debian's packages: the daemons (+ their CLI tools) and the OCF agents (IPaddr2, VirtualDomain, …). */
export const HA_PACKAGES = ['pacemaker', 'pacemaker-cli-utils', 'resource-agents'] as const;

const PATH_LINE = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH';
const hasSystemd = '[ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1';
/** pacemaker-based answers: the CIB can be read on this node. */
const cibAnswers = 'cibadmin --query --local --scope nodes >/dev/null 2>&1';

/**
 * Read-only facts for `ha enable`'s checks, as `key=value` lines: whether the packages are there,
 * systemd, apt, libvirt (for VirtualDomain), and whether Pacemaker already answers.
 */
export function haFactsScript(): string {
  return [
    PATH_LINE,
    'for t in pacemakerd crm_mon cibadmin crm_attribute crm_resource; do command -v $t >/dev/null 2>&1 || missing="$missing $t"; done',
    '[ -x /usr/lib/ocf/resource.d/heartbeat/IPaddr2 ] || missing="$missing ocf:heartbeat:IPaddr2"',
    'echo "missing=${missing# }"',
    `if ${hasSystemd}; then echo systemd=yes; else echo systemd=no; fi`,
    'if command -v apt-get >/dev/null 2>&1; then echo apt=yes; else echo apt=no; fi',
    'if command -v virsh >/dev/null 2>&1 && [ -x /usr/lib/ocf/resource.d/heartbeat/VirtualDomain ]; then echo libvirt=yes; else echo libvirt=no; fi',
    `if ${cibAnswers}; then echo running=yes; else echo running=no; fi`,
    'echo "hostname=$(hostname)"',
    'true',
  ].join('\n');
}

/** Install the packages with apt (progress on stdout); refreshes the package lists only when needed. */
export function installPackagesScript(): string {
  const pkgs = HA_PACKAGES.join(' ');
  return [
    PATH_LINE,
    'export DEBIAN_FRONTEND=noninteractive',
    'set -e',
    // Without --no-install-recommends apt pulls in fence-agents' large Python stack.
    `apt-get install -y -q --no-install-recommends ${pkgs} || { apt-get update -q && apt-get install -y -q --no-install-recommends ${pkgs}; }`,
  ].join('\n');
}

/** Start pacemakerd (idempotent: nothing when the CIB already answers); waits up to `waitS` s for the CIB. */
export function startPacemakerScript(waitS = 60): string {
  return [
    PATH_LINE,
    `if ${cibAnswers}; then echo already running; exit 0; fi`,
    `if ${hasSystemd}; then systemctl enable --now pacemaker; else`,
    '  mkdir -p /run/quorate /var/log/quorate',
    // Debian's package makes it; a private /var/log (containers, the lab) may not have it.
    '  [ -d /var/log/pacemaker ] || install -d -o hacluster -g haclient /var/log/pacemaker',
    `  setsid nohup pacemakerd </dev/null >>${PACEMAKER_LOG_FILE} 2>&1 &`,
    `  echo $! > ${PACEMAKER_PID_FILE}`,
    'fi',
    `i=0; while [ $i -lt ${waitS * 5} ]; do ${cibAnswers} && { echo started; exit 0; }; sleep 0.2; i=$((i+1)); done`,
    `echo "pacemaker did not answer within ${waitS}s" >&2; tail -n 20 ${PACEMAKER_LOG_FILE} 2>/dev/null >&2; exit 1`,
  ].join('\n');
}

/**
 * Stop Pacemaker on this node (idempotent). Under the supervisor only the PID in the pid file is
 * signalled, and only when its command line is pacemakerd's; TERM lets it stop its resources first.
 */
export function stopPacemakerScript(waitS = 50): string {
  const pf = PACEMAKER_PID_FILE;
  return [
    PATH_LINE,
    `if ${hasSystemd}; then systemctl stop pacemaker; exit $?; fi`,
    `[ -f ${pf} ] || exit 0`,
    `p=$(cat ${pf})`,
    'ours() { tr "\\0" " " < /proc/$p/cmdline 2>/dev/null | grep -q pacemakerd; }',
    'if ours; then kill -TERM "$p"; fi',
    `i=0; while ours && [ $i -lt ${waitS * 5} ]; do sleep 0.2; i=$((i+1)); done`,
    'ours && kill -KILL "$p"',
    `rm -f ${pf}`,
    'exit 0',
  ].join('\n');
}

/** `crm_mon` as XML, once: Pacemaker's own status (resources, nodes, DC, failures). */
export function crmMonCommand(): string {
  return `${PATH_LINE}; crm_mon --output-as=xml`;
}

/** Set one cluster property (crm_config) or resource default (rsc_defaults). */
export function setPropertyCommand(type: 'crm_config' | 'rsc_defaults', name: string, value: string): string {
  return `${PATH_LINE}; ${sh`crm_attribute --type ${type} --name ${name} --update ${value}`}`;
}

/** Create XML in a CIB section (`resources` or `constraints`), fed on stdin (never on the command line). */
export function cibCreateCommand(section: 'resources' | 'constraints'): string {
  return `${PATH_LINE}; cibadmin --create --scope ${section} --xml-pipe`;
}

/** Delete the element with this id from a section. */
export function cibDeleteCommand(section: 'resources' | 'constraints', xml: string): string {
  return `${PATH_LINE}; ${sh`cibadmin --delete --scope ${section} --xml-text ${xml}`}`;
}

/** Stop a resource (target-role=Stopped) so it can be deleted cleanly. */
export function stopResourceCommand(id: string): string {
  return `${PATH_LINE}; ${sh`crm_resource --resource ${id} --set-parameter target-role --meta --parameter-value Stopped`}`;
}

/** Let a resource created stopped run: its target-role meta attribute goes. */
export function startResourceCommand(id: string): string {
  return `${PATH_LINE}; ${sh`crm_resource --resource ${id} --meta --delete-parameter target-role`}`;
}

/** Move a resource to a node (a location constraint `cli-prefer-ID`, as crm_resource makes it). */
export function moveResourceCommand(id: string, node: string): string {
  return `${PATH_LINE}; ${sh`crm_resource --resource ${id} --move --node ${node}`}`;
}

/** Drop the location constraint `--move` made: the resource stays by stickiness, free to fail over (pcs 0.11 does the same). */
export function clearMoveCommand(id: string): string {
  return `${PATH_LINE}; ${sh`crm_resource --resource ${id} --clear`}`;
}

/** Put a node in standby (`on`) or take it out. */
export function standbyCommand(node: string, on: boolean): string {
  return `${PATH_LINE}; ${sh`crm_attribute --type nodes --node ${node} --name standby --update ${on ? 'on' : 'off'}`}`;
}

/** Whether a systemd unit (or LSB init script) exists on this node: prints `unit=yes|no`. */
export function unitExistsScript(unit: string): string {
  const lsb = `/etc/init.d/${unit.replace(/\.service$/, '')}`;
  return [
    PATH_LINE,
    sh`if ${raw(hasSystemd)} && systemctl cat ${unit} >/dev/null 2>&1; then echo unit=yes; exit 0; fi`,
    sh`for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do [ -f "$d"/${unit} ] && { echo unit=yes; exit 0; }; [ -f "$d"/${`${unit}.service`} ] && { echo unit=yes; exit 0; }; done`,
    sh`[ -x ${lsb} ] && { echo unit=lsb; exit 0; }`,
    'echo unit=no',
  ].join('\n');
}

/**
 * Probe an IPv4 address on the node's network: `arping` (duplicate address detection: answers
 * even where ICMP is filtered) where present, else `ping`. Prints `inuse=yes|no`.
 */
export function probeAddressScript(ip: string, dev: string | null): string {
  return [
    PATH_LINE,
    dev
      ? sh`if command -v arping >/dev/null 2>&1; then arping -q -D -c 2 -w 2 -I ${dev} ${ip}; r=$?; [ $r = 1 ] && { echo inuse=yes; exit 0; }; fi`
      : ':',
    sh`if ping -n -q -c 1 -W 1 ${ip} >/dev/null 2>&1; then echo inuse=yes; else echo inuse=no; fi`,
  ].join('\n');
}

/** The node's IPv4 addresses with prefix and device: `ip -4 -o addr show` (read by `parseIpAddrs`). */
export function ipAddrsCommand(): string {
  return `${PATH_LINE}; ip -4 -o addr show`;
}

/** `key=value` lines → map. */
export function parseKeyValues(stdout: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) {
      kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
    }
  }
  return kv;
}

/** Set one meta attribute of a resource (`target-role`, `is-managed`), as `pcs resource enable|disable|unmanage` do. */
export function setMetaCommand(id: string, name: 'target-role' | 'is-managed', value: string): string {
  return `${PATH_LINE}; ${sh`crm_resource --resource ${id} --meta --set-parameter ${name} --parameter-value ${value}`}`;
}
