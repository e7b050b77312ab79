/**
 * Adopting a running cluster, the pure part: what one member's files and corosync say → the
 * cluster's name, provider, nodes (with the machine each is, if known) and the findings a careful
 * admin would check. No I/O: `service-adopt.ts` gathers a `MemberReading` per reachable member.
 */
import { createHash } from 'node:crypto';
import type { QuorumtoolStatus } from '../corosync';
import { checkConfText, parseConf, parseQuorumtoolStatus, readConf, toVotequorumConfig } from '../corosync';
import type { CorosyncConfig } from '../corosync/conf-read';
import { quorumSummary } from '../model';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { AdoptFinding, AdoptResult, AdoptedNode } from './contract';

/** What one member showed (one SSH round trip, see `readingScript`). */
export interface MemberReading {
  readonly machine: string;
  readonly hostname: string;
  /** `pveversion` printed a pve-manager line. */
  readonly pve: boolean;
  readonly pveConf: string | null;
  readonly corosyncConf: string | null;
  /** sha256 of /etc/corosync/authkey (never the key), null when absent. */
  readonly authkeyHash: string | null;
  /** Raw `corosync-quorumtool -s`, empty when corosync does not answer. */
  readonly quorumtool: string;
  /** `corosync-qdevice-tool -s` answered. */
  readonly qdeviceRunning: boolean;
}

/** One shell script printing everything a reading needs, each part base64 so any bytes survive. */
export const readingScript = [
  'b() { base64 -w0 2>/dev/null; echo; }',
  'echo "hostname $(hostname)"',
  'if pveversion 2>/dev/null | grep -q "^pve-manager/"; then echo "pve yes"; else echo "pve no"; fi',
  'if [ -f /etc/pve/corosync.conf ]; then printf "pveconf "; b < /etc/pve/corosync.conf; else echo "pveconf -"; fi',
  'if [ -f /etc/corosync/corosync.conf ]; then printf "conf "; b < /etc/corosync/corosync.conf; else echo "conf -"; fi',
  'if [ -f /etc/corosync/authkey ]; then echo "authkey $(sha256sum /etc/corosync/authkey | cut -d" " -f1)"; else echo "authkey -"; fi',
  'printf "quorum "; timeout 10 corosync-quorumtool -s 2>/dev/null | b',
  'if timeout 5 corosync-qdevice-tool -s >/dev/null 2>&1; then echo "qdevice yes"; else echo "qdevice no"; fi',
].join('\n');

export function parseReading(machine: string, stdout: string): MemberReading {
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf(' ');
    if (i > 0) {
      fields.set(line.slice(0, i), line.slice(i + 1).trim());
    }
  }
  const text = (key: string): string | null => {
    const v = fields.get(key);
    return v === undefined || v === '-' ? null : Buffer.from(v, 'base64').toString('utf8');
  };
  return {
    machine,
    hostname: fields.get('hostname') ?? '',
    pve: fields.get('pve') === 'yes',
    pveConf: text('pveconf'),
    corosyncConf: text('conf'),
    authkeyHash: fields.get('authkey') && fields.get('authkey') !== '-' ? fields.get('authkey')! : null,
    quorumtool: text('quorum') ?? '',
    qdeviceRunning: fields.get('qdevice') === 'yes',
  };
}

/** Pve when pveversion answers and /etc/pve/corosync.conf exists; the file Quorate reads for the provider. */
export function providerOf(r: MemberReading): { provider: 'pve' | 'corosync'; conf: string | null; path: string } {
  if (r.pve && r.pveConf !== null) {
    return { provider: 'pve', conf: r.pveConf, path: '/etc/pve/corosync.conf' };
  }
  return { provider: 'corosync', conf: r.corosyncConf, path: '/etc/corosync/corosync.conf' };
}

export const confHash = (text: string): string => createHash('sha256').update(text).digest('hex');

export interface KnownMachine {
  readonly address: string;
  readonly hostname: string | null;
}

export interface Adoption {
  readonly result: AdoptResult;
  /** node name → machine, for the known ones. */
  readonly machines: Readonly<Record<string, string>>;
  /** The QDevice's host as a known machine. */
  readonly qnetd?: { readonly machine: string; readonly host: string };
}

/** The cluster as `from` shows it. Refuses files corosync would refuse and nodes Quorate cannot name. */
export function analyseFrom(
  from: MemberReading,
  known: readonly KnownMachine[],
): Result<{ conf: CorosyncConfig; text: string; provider: 'pve' | 'corosync'; path: string }> {
  const p = providerOf(from);
  if (p.conf === null) {
    return err(
      'adopt.not-in-cluster',
      `${from.machine} is in no cluster: neither /etc/pve/corosync.conf nor /etc/corosync/corosync.conf exists there`,
      'Adopt from a machine that runs a member of the cluster, or create a cluster instead.',
    );
  }
  const problems = checkConfText(p.conf);
  const errors = problems.filter((x) => x.severity === 'error');
  const parsed = parseConf(p.conf);
  if (!parsed.ok) {
    const e = errors[0];
    return err(
      'adopt.unreadable-conf',
      `${p.path} on ${from.machine} cannot be read: ${e ? `${e.line}:${e.column}: ${e.message}` : parsed.error.message}`,
      'The file is damaged or truncated (corosync would refuse it too); restore it from another member, then adopt again.',
    );
  }
  if (errors.length > 0) {
    return err(
      'adopt.invalid-conf',
      `${p.path} on ${from.machine} is refused by corosync: ${errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('; ')}`,
      `Fix the file (quorate conf check shows every problem), then adopt again.`,
    );
  }
  const conf = readConf(parsed.value);
  if (!conf.totem.clusterName) {
    return err(
      'adopt.no-cluster-name',
      `${p.path} on ${from.machine} has no totem.cluster_name, which Quorate registers the cluster under`,
      'Add cluster_name to the totem section on every node (corosync-cfgtool -R), then adopt again.',
    );
  }
  for (const n of conf.nodes) {
    if (n.name === undefined) {
      return err(
        'adopt.unnamed-node',
        `${p.path} on ${from.machine}: the node at ${n.links[0] ?? 'no address'} is listed by address only (no name)`,
        'Quorate names nodes by their nodelist name: add "name: <hostname>" to that node block on every node (corosync-cfgtool -R), then adopt again.',
      );
    }
    if (n.nodeid === undefined) {
      return err(
        'adopt.no-nodeid',
        `${p.path} on ${from.machine}: node ${n.name} has no nodeid (corosync derives one from its address)`,
        'Write the nodeid corosync uses (corosync-cmapctl -g runtime.votequorum.this_node_id on that node) into its node block, then adopt again.',
      );
    }
  }
  void known;
  return ok({ conf, text: p.conf, provider: p.provider, path: p.path });
}

/** The machine a node is: one added with one of its link addresses, else one whose hostname is its name. */
export function machineFor(
  node: { name: string; addresses: readonly string[] },
  known: readonly KnownMachine[],
): string | null {
  const byAddress = known.find((m) => node.addresses.includes(m.address));
  if (byAddress) {
    return byAddress.address;
  }
  return known.find((m) => m.hostname !== null && m.hostname.split('.')[0] === node.name)?.address ?? null;
}

const finding = (id: string, status: AdoptFinding['status'], message: string, hint = ''): AdoptFinding => ({
  id,
  status,
  message,
  hint,
});

/** Nodes, machines and findings from the readings of every reachable member (`from` first). */
export function adoption(
  base: { conf: CorosyncConfig; text: string; provider: 'pve' | 'corosync'; path: string },
  readings: readonly MemberReading[],
  unreachable: readonly { machine: string; reason: string }[],
  known: readonly KnownMachine[],
): Adoption {
  const { conf } = base;
  const from = readings[0]!;
  const status: QuorumtoolStatus | null = (() => {
    const s = parseQuorumtoolStatus(from.quorumtool);
    return s.ok ? s.value : null;
  })();
  const memberIds = new Set<number>(status?.members.map((m) => m.nodeid) ?? []);
  const machines: Record<string, string> = {};
  const nodes: AdoptedNode[] = conf.nodes.map((n) => {
    const addresses = ([0, 1, 2, 3, 4, 5, 6, 7] as const).map((l) => n.links[l]).filter((a): a is string => !!a);
    const machine = machineFor({ name: n.name!, addresses }, known);
    if (machine) {
      machines[n.name!] = machine;
    }
    return { name: n.name!, nodeid: n.nodeid!, addresses, machine, online: memberIds.has(n.nodeid!) };
  });
  const findings: AdoptFinding[] = [];

  // Same corosync.conf (config_version and a hash) on every reachable member.
  const confs = readings.map((r) => ({ machine: r.machine, text: providerOf(r).conf }));
  const hashOf = confHash(base.text);
  const differing = confs.filter((c) => c.text === null || confHash(c.text) !== hashOf);
  const version = conf.totem.configVersion ?? 0n;
  if (differing.length === 0) {
    findings.push(
      finding(
        'conf-same',
        'pass',
        `${base.path} is the same on all ${readings.length} reachable member(s) (config_version ${version}, sha256 ${hashOf.slice(0, 12)})`,
      ),
    );
  } else {
    const what = differing
      .map((d) => {
        if (d.text === null) {
          return `${d.machine} has none`;
        }
        const m = /^\s*config_version\s*:\s*(\d+)/m.exec(d.text);
        return `${d.machine} has config_version ${m?.[1] ?? '?'} (sha256 ${confHash(d.text).slice(0, 12)})`;
      })
      .join('; ');
    findings.push(
      finding(
        'conf-same',
        'fail',
        `${base.path} differs between members: ${from.machine} has config_version ${version} (sha256 ${hashOf.slice(0, 12)}); ${what}`,
        base.provider === 'pve'
          ? 'pmxcfs keeps one copy: check that the differing node is quorate and its pve-cluster service runs.'
          : 'Copy the right file to every node (higher config_version), then corosync-cfgtool -R; Quorate changes nothing until they agree.',
      ),
    );
  }

  // Same authkey (a hash) everywhere.
  const keys = new Map<string, string[]>();
  for (const r of readings) {
    const k = r.authkeyHash ?? 'none';
    keys.set(k, [...(keys.get(k) ?? []), r.machine]);
  }
  if (keys.size === 1 && !keys.has('none')) {
    findings.push(finding('authkey-same', 'pass', `/etc/corosync/authkey is the same on all reachable members`));
  } else {
    findings.push(
      finding(
        'authkey-same',
        'fail',
        `/etc/corosync/authkey differs: ${[...keys.entries()].map(([k, ms]) => `${ms.join(', ')}: ${k === 'none' ? 'missing' : `sha256 ${k.slice(0, 12)}`}`).join('; ')}`,
        'Copy the authkey of a running member to the others (mode 0400) and restart corosync there.',
      ),
    );
  }

  // corosync running on every reachable member.
  const notRunning = readings.filter((r) => r.quorumtool.trim() === '').map((r) => r.machine);
  findings.push(
    notRunning.length === 0
      ? finding('corosync-running', 'pass', `corosync answers on all ${readings.length} reachable member(s)`)
      : finding(
          'corosync-running',
          'fail',
          `corosync does not answer on ${notRunning.join(', ')}`,
          'Start corosync there (systemctl start corosync), or check its log (journalctl -u corosync).',
        ),
  );
  for (const u of unreachable) {
    findings.push(
      finding(
        'member-unreachable',
        'warn',
        `${u.machine} could not be read: ${u.reason}`,
        'Check SSH to it; adopt again later.',
      ),
    );
  }

  // A QDevice configured but not answering.
  const cfg = toVotequorumConfig(conf);
  if (cfg.qdevice) {
    const noDaemon = readings.filter((r) => !r.qdeviceRunning).map((r) => r.machine);
    const votes = status?.qdevice?.votes ?? 0;
    if (noDaemon.length > 0) {
      findings.push(
        finding(
          'qdevice',
          'warn',
          `a QDevice (qnetd ${cfg.qdevice.host}) is configured but corosync-qdevice does not answer on ${noDaemon.join(', ')}`,
          'Start corosync-qdevice on those nodes (systemctl start corosync-qdevice).',
        ),
      );
    } else if (votes === 0) {
      findings.push(
        finding(
          'qdevice',
          'warn',
          `a QDevice (qnetd ${cfg.qdevice.host}) is configured but casts no vote: the qnetd host does not answer or refuses the nodes`,
          `Check corosync-qnetd on ${cfg.qdevice.host} (corosync-qnetd-tool -l) and the qdevice certificates.`,
        ),
      );
    } else {
      findings.push(finding('qdevice', 'pass', `the QDevice on ${cfg.qdevice.host} casts ${votes} vote(s)`));
    }
  }

  // Expected votes lowered by hand (pvecm expected / corosync-quorumtool -e left behind).
  const configured = quorumSummary(cfg).expectedVotes;
  const live = status?.votequorum?.expectedVotes;
  if (live !== undefined && live < configured) {
    findings.push(
      finding(
        'expected-votes',
        'warn',
        `expected votes are ${live} at runtime, the configuration says ${configured}: lowered by hand (pvecm expected / corosync-quorumtool -e)`,
        'Once every node is back, corosync raises them again by itself; until then the cluster can split.',
      ),
    );
  } else if (live !== undefined) {
    findings.push(finding('expected-votes', 'pass', `expected votes ${live}, as configured`));
  }

  // Nodes in the nodelist that are not members.
  const absent = nodes.filter((n) => !n.online).map((n) => n.name);
  findings.push(
    status === null
      ? finding(
          'nodes-joined',
          'warn',
          `${from.machine} gave no membership (corosync not running there)`,
          'Adopt from a running member.',
        )
      : absent.length === 0
        ? finding('nodes-joined', 'pass', `all ${nodes.length} nodes of the nodelist are members`)
        : finding(
            'nodes-joined',
            'warn',
            `${absent.join(', ')} ${absent.length === 1 ? 'is' : 'are'} in the nodelist but not a member now (down, cut off, or never joined)`,
            'Start corosync on them, or remove them from the cluster if they are gone for good.',
          ),
  );

  const unknown = nodes.filter((n) => n.machine === null).map((n) => n.name);
  findings.push(
    unknown.length === 0
      ? finding('machines-known', 'pass', 'every node is a machine known to Quorate')
      : finding(
          'machines-known',
          'warn',
          `no known machine for ${unknown.join(', ')}: status works from the known members, operations that touch every node will name these`,
          `Add them (quorate hosts add ADDR, confirming each host key), then adopt again.`,
        ),
  );

  const warnings = checkConfText(base.text).filter((p) => p.severity === 'warning');
  findings.push(
    warnings.length === 0
      ? finding('conf-check', 'pass', `${base.path} has no problems`)
      : finding(
          'conf-check',
          'warn',
          `${base.path}: ${warnings.map((w) => `${w.line}:${w.column}: ${w.message}`).join('; ')}`,
          'corosync accepts these; see quorate conf check for hints.',
        ),
  );

  const qdevice = cfg.qdevice;
  const qnetdMachine = qdevice ? known.find((m) => m.address === qdevice.host)?.address : undefined;
  return {
    result: {
      name: conf.totem.clusterName!,
      provider: base.provider,
      configVersion: Number(version),
      nodes,
      findings,
    },
    machines,
    ...(qdevice && qnetdMachine ? { qnetd: { machine: qnetdMachine, host: qdevice.host } } : {}),
  };
}
