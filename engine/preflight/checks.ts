/**
 * The pre-flight checks, pure over `PreflightInput`. pvecm's own join checks (authkey, corosync.conf,
 * guests, address on an interface, quorate cluster, name/address taken, link numbers) are the floor;
 * the network, clock and version checks come on top. Nothing here does I/O.
 * Over 400 lines on purpose: one function per group of checks, all over the same PreflightInput; the
 * report is their concatenation.
 */
import type { LinkNumber } from '../model/cluster';
import { canLoseFor } from '../model';
import { THRESHOLDS as T } from './thresholds';
import type { Check, CheckStatus, LinkMeasurement, MachineFacts, PreflightInput, PreflightReport } from './types';

/** Run every check and summarise. `ok` is false as soon as one check fails. */
export function runPreflight(input: PreflightInput): PreflightReport {
  const checks = [
    ...networkChecks(input),
    ...clockChecks(input),
    ...versionChecks(input),
    ...identityChecks(input),
    ...membershipChecks(input),
    ...joinTargetChecks(input),
    ...adviceChecks(input),
  ];
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

function check(
  id: string,
  subject: string,
  status: CheckStatus,
  measured: string,
  threshold: string,
  hint: string,
): Check {
  return { id: `preflight.${id}`, subject, status, measured, threshold, hint: status === 'pass' ? '' : hint };
}

const ms = (v: number): string => `${v.toFixed(v < 10 ? 2 : 0)} ms`;

/** Latency, jitter, loss and UDP reachability per unordered pair and link; the worse direction counts. */
export function networkChecks(input: PreflightInput): Check[] {
  const out: Check[] = [];
  const byPair = new Map<string, LinkMeasurement[]>();
  for (const m of input.measurements) {
    const [a, b] = [m.from, m.to].sort();
    const key = `${a}\u0000${b}\u0000${m.link}`;
    byPair.set(key, [...(byPair.get(key) ?? []), m]);
  }
  for (const [key, list] of [...byPair].sort(([x], [y]) => x.localeCompare(y))) {
    const [a, b, link] = key.split('\u0000') as [string, string, string];
    const subject = `${a} ↔ ${b} link${link}`;
    const unreachable = list.filter((m) => !m.udpReachable);
    if (unreachable.length > 0) {
      const dirs = unreachable.map((m) => `${m.from} → ${m.to}`).join(', ');
      out.push(
        check(
          'udp-reachable',
          subject,
          'fail',
          `no reply (${dirs})`,
          'UDP 5405–5412 open both ways',
          `Allow UDP ports 5405–5412 between ${a} and ${b} in every firewall on the path (nftables/iptables, the Proxmox firewall, the switch).`,
        ),
      );
      continue;
    }
    out.push(check('udp-reachable', subject, 'pass', 'replies both ways', 'UDP 5405–5412 open both ways', ''));
    const rtt = Math.max(...list.map((m) => m.rttAvgMs));
    out.push(
      check(
        'latency',
        subject,
        rtt >= T.latencyFailMs ? 'fail' : rtt > T.latencyWarnMs ? 'warn' : 'pass',
        ms(rtt),
        `< ${T.latencyFailMs} ms (warn above ${T.latencyWarnMs} ms)`,
        `corosync needs LAN latency: put link${link} on a dedicated, wired, switched network; avoid Wi-Fi, VPNs and busy storage links.`,
      ),
    );
    const jitter = Math.max(...list.map((m) => m.jitterMs));
    out.push(
      check(
        'jitter',
        subject,
        jitter >= T.jitterFailMs ? 'fail' : jitter > T.jitterWarnMs ? 'warn' : 'pass',
        ms(jitter),
        `< ${T.jitterFailMs} ms (warn above ${T.jitterWarnMs} ms)`,
        `Jitter on link${link} points at a congested or shared network: give corosync its own link or a QoS class.`,
      ),
    );
    const loss = Math.max(...list.map((m) => m.lossPercent));
    out.push(
      check(
        'loss',
        subject,
        loss >= T.lossFailPercent ? 'fail' : loss > T.lossWarnPercent ? 'warn' : 'pass',
        `${loss.toFixed(1)} %`,
        `< ${T.lossFailPercent} % (warn above ${T.lossWarnPercent} %)`,
        `Packets are lost on link${link}: check cables, duplex settings and switch ports; add a redundant link.`,
      ),
    );
  }
  // A pair that should have been measured but has no figure at all is a failure too (probe never answered).
  const machines = input.machines.map((m) => m.machine);
  const links = new Set<LinkNumber>();
  for (const addrs of Object.values(input.linkAddresses)) {
    for (const l of Object.keys(addrs)) {
      links.add(Number(l) as LinkNumber);
    }
  }
  for (const link of links) {
    for (let i = 0; i < machines.length; i++) {
      for (let j = i + 1; j < machines.length; j++) {
        const [a, b] = [machines[i]!, machines[j]!].sort() as [string, string];
        if (input.linkAddresses[a]?.[link] === undefined || input.linkAddresses[b]?.[link] === undefined) {
          continue;
        }
        if (!byPair.has(`${a}\u0000${b}\u0000${link}`)) {
          out.push(
            check(
              'udp-reachable',
              `${a} ↔ ${b} link${link}`,
              'fail',
              'not measured',
              'UDP 5405–5412 open both ways',
              'The probe did not run between these machines: check that both are reachable over SSH and retry.',
            ),
          );
        }
      }
    }
  }
  return out;
}

/**
 * Each machine's clock against the median machine's, ms, signed (undefined: not read). Offsets
 * between nodes matter, not against the desktop; the check and the report's clock table both use this.
 */
export function clockOffsetsFromMedian(input: PreflightInput): Record<string, number | undefined> {
  const known = input.machines
    .map((m) => input.clockOffsetsMs[m.machine])
    .filter((o): o is number => o !== undefined)
    .sort((x, y) => x - y);
  const median = known.length ? known[Math.floor(known.length / 2)]! : 0;
  return Object.fromEntries(
    input.machines.map((m) => {
      const o = input.clockOffsetsMs[m.machine];
      return [m.machine, o === undefined ? undefined : o - median];
    }),
  );
}

/** Clock offset of every machine against the reference, plus NTP state. */
export function clockChecks(input: PreflightInput): Check[] {
  const out: Check[] = [];
  const fromMedian = clockOffsetsFromMedian(input);
  for (const m of input.machines) {
    const rel = fromMedian[m.machine];
    if (rel === undefined) {
      out.push(
        check(
          'clock-offset',
          m.machine,
          'warn',
          'unknown',
          `< ${T.clockFailMs} ms apart`,
          'The clock could not be read; check that `date` works over SSH.',
        ),
      );
    } else {
      const d = Math.abs(rel);
      out.push(
        check(
          'clock-offset',
          m.machine,
          d > T.clockFailMs ? 'fail' : d > T.clockWarnMs ? 'warn' : 'pass',
          `${d >= 1000 ? `${(d / 1000).toFixed(1)} s` : ms(d)} from the others`,
          `≤ ${T.clockFailMs} ms (warn above ${T.clockWarnMs} ms)`,
          `Synchronise the clocks: enable NTP on ${m.machine} (\`timedatectl set-ntp true\` or chrony) against the same servers as the others.`,
        ),
      );
    }
    out.push(
      check(
        'ntp',
        m.machine,
        m.ntpSynchronized === true ? 'pass' : 'warn',
        m.ntpSynchronized === null
          ? (m.ntpSummary ?? 'unknown')
          : m.ntpSynchronized
            ? 'synchronised'
            : 'not synchronised',
        'NTP synchronised',
        `Enable time synchronisation on ${m.machine} (chrony or systemd-timesyncd) so the clocks stay together.`,
      ),
    );
  }
  return out;
}

const major = (v: string): string => v.split('.')[0] ?? v;
const majorMinor = (v: string): string => v.split('.').slice(0, 2).join('.');

/** corosync present with equal majors; Proxmox on all or none, with equal major.minor. */
export function versionChecks(input: PreflightInput): Check[] {
  const out: Check[] = [];
  const ms_ = input.machines;
  for (const m of ms_) {
    if (m.corosyncVersion === null) {
      out.push(
        check(
          'corosync-installed',
          m.machine,
          'fail',
          'not installed',
          'corosync 3.x',
          `Install corosync on ${m.machine} (\`apt install corosync\`).`,
        ),
      );
    } else if (major(m.corosyncVersion) !== '3') {
      out.push(
        check(
          'corosync-installed',
          m.machine,
          'fail',
          m.corosyncVersion,
          'corosync 3.x',
          `Upgrade corosync on ${m.machine} to 3.x (knet transport).`,
        ),
      );
    }
  }
  const versions = ms_.filter((m) => m.corosyncVersion !== null);
  const majors = new Set(versions.map((m) => major(m.corosyncVersion!)));
  out.push(
    check(
      'corosync-version',
      'cluster',
      majors.size <= 1 ? 'pass' : 'fail',
      versions.map((m) => `${m.machine} ${m.corosyncVersion}`).join(', ') || 'none',
      'same corosync major version',
      'Upgrade the older machines so every node runs the same corosync major version.',
    ),
  );
  const pve = ms_.filter((m) => m.pveVersion !== null);
  if (pve.length > 0) {
    if (pve.length !== ms_.length) {
      out.push(
        check(
          'pve-mixed',
          'cluster',
          'fail',
          `${pve.length} of ${ms_.length} run Proxmox VE`,
          'all or none run Proxmox VE',
          'A Proxmox VE cluster is made of Proxmox VE nodes only: install Proxmox VE on the others, or choose other machines.',
        ),
      );
    }
    const mm = new Set(pve.map((m) => majorMinor(m.pveVersion!)));
    out.push(
      check(
        'pve-version',
        'cluster',
        mm.size <= 1 ? 'pass' : 'fail',
        pve.map((m) => `${m.machine} ${m.pveVersion}`).join(', '),
        'same Proxmox VE major.minor',
        'Upgrade every node to the same Proxmox VE major.minor (`apt full-upgrade`) before clustering.',
      ),
    );
  }
  return out;
}

const ipOf = (cidr: string): string => (cidr.split('/')[0] ?? cidr).toLowerCase();

/** Unique hostnames (also against existing members), link addresses present, link numbers consistent. */
export function identityChecks(input: PreflightInput): Check[] {
  const out: Check[] = [];
  const members = input.cluster?.nodes ?? [];
  const seen = new Map<string, string>();
  for (const m of input.machines) {
    const clash =
      seen.get(m.hostname) ?? (members.some((n) => n.name === m.hostname) ? `cluster member ${m.hostname}` : undefined);
    out.push(
      check(
        'hostname-unique',
        m.machine,
        clash ? 'fail' : 'pass',
        m.hostname,
        'unique node name',
        `Rename ${m.machine} (\`hostnamectl set-hostname …\` and /etc/hosts): its name "${m.hostname}" is already used by ${clash}.`,
      ),
    );
    seen.set(m.hostname, m.machine);
  }
  const taken = new Map<string, string>();
  for (const n of members) {
    for (const a of Object.values(n.addresses)) {
      if (a) {
        taken.set(a.toLowerCase(), n.name);
      }
    }
  }
  for (const m of input.machines) {
    const addrs = input.linkAddresses[m.machine] ?? {};
    const own = new Set(m.interfaces.flatMap((i) => i.addresses.map(ipOf)));
    const entries = Object.entries(addrs) as [string, string][];
    if (entries.length === 0) {
      out.push(
        check(
          'link-address',
          m.machine,
          'fail',
          'no link0 address',
          'an address for link0',
          'Give the machine an address on the cluster network (--link0).',
        ),
      );
    }
    for (const [link, addr] of entries) {
      const present = own.has(addr.toLowerCase());
      out.push(
        check(
          'link-address',
          `${m.machine} link${link}`,
          present ? 'pass' : 'fail',
          addr,
          'configured on one of its interfaces',
          `${addr} is not on any interface of ${m.machine} (${[...own].join(', ') || 'none'}): pick one of its addresses or configure it first.`,
        ),
      );
      const owner = taken.get(addr.toLowerCase());
      if (owner !== undefined) {
        out.push(
          check(
            'address-taken',
            `${m.machine} link${link}`,
            'fail',
            addr,
            'not used by another node',
            `${addr} is already link${link} of cluster node ${owner}: use a different address.`,
          ),
        );
      }
      taken.set(addr.toLowerCase(), m.hostname);
    }
    if (input.cluster) {
      const mine = entries
        .map(([l]) => Number(l))
        .sort()
        .join(',');
      const theirs = [...input.cluster.links].sort().join(',');
      out.push(
        check(
          'link-numbers',
          m.machine,
          mine === theirs ? 'pass' : 'fail',
          `links ${mine || 'none'}`,
          `links ${theirs} (as the cluster)`,
          `Give ${m.machine} exactly one address for each link the cluster uses (${theirs}).`,
        ),
      );
    }
  }
  return out;
}

/** Which machines join (and so must be clean): all for join; all but the founder for create. */
function joiners(input: PreflightInput): MachineFacts[] {
  return input.mode === 'join' ? [...input.machines] : input.machines.slice(1);
}

/** Not in another cluster (authkey, corosync.conf, running corosync) and no guests on joiners. */
export function membershipChecks(input: PreflightInput): Check[] {
  const out: Check[] = [];
  const join = new Set(joiners(input).map((m) => m.machine));
  for (const m of input.machines) {
    const traces = [
      m.hasCorosyncConf ? `corosync.conf${m.clusterName ? ` (cluster ${m.clusterName})` : ''}` : '',
      m.hasAuthkey ? 'authkey' : '',
      m.corosyncRunning ? 'corosync running' : '',
    ].filter(Boolean);
    out.push(
      check(
        'not-in-cluster',
        m.machine,
        traces.length ? 'fail' : 'pass',
        traces.join(', ') || 'no cluster traces',
        'no corosync.conf, no authkey, corosync stopped',
        `${m.machine} already belongs to a cluster (${traces.join(', ')}). Remove it from that cluster first, or clean /etc/corosync and stop corosync if that cluster is gone.`,
      ),
    );
    if (join.has(m.machine)) {
      out.push(
        check(
          'guests',
          m.machine,
          m.guests.length ? 'fail' : 'pass',
          m.guests.length
            ? `${m.guests.length} guest(s): ${m.guests.map((g) => `${g.vmid} ${g.name}`).join(', ')}`
            : 'no guests',
          'a joining node holds no guests',
          `Back up the guests of ${m.machine} (vzdump), remove them, join, then restore them under new IDs: their IDs could clash with the cluster's.`,
        ),
      );
    }
  }
  return out;
}

/** For join: the cluster is quorate. */
export function joinTargetChecks(input: PreflightInput): Check[] {
  if (input.mode !== 'join' || !input.cluster) {
    return [];
  }
  return [
    check(
      'cluster-quorate',
      input.cluster.name,
      input.cluster.quorate ? 'pass' : 'fail',
      input.cluster.quorate ? 'quorate' : 'not quorate',
      'quorate',
      'Bring the cluster back to quorum (start the missing nodes) before adding a node; never join into an inquorate cluster.',
    ),
  ];
}

/** CPU vendor (online migration) and node count (QDevice advice; can lose N). */
export function adviceChecks(input: PreflightInput): Check[] {
  const out: Check[] = [];
  const vendors = new Set(input.machines.map((m) => m.cpuVendor).filter((v): v is string => v !== null));
  out.push(
    check(
      'cpu-vendor',
      'cluster',
      vendors.size <= 1 ? 'pass' : 'warn',
      [...vendors].join(', ') || 'unknown',
      'one CPU vendor',
      'Online migration between Intel and AMD CPUs fails; guests must be shut down to move between them.',
    ),
  );
  const total = input.machines.length + (input.cluster?.nodes.length ?? 0);
  const hasQdevice = input.cluster?.hasQdevice ?? false;
  const canLose = canLoseFor(total, hasQdevice);
  const status: CheckStatus = total === 2 && !hasQdevice ? 'warn' : total % 2 === 0 && !hasQdevice ? 'warn' : 'pass';
  const hint =
    total === 2
      ? 'Two nodes cannot lose either without losing quorum: add a QDevice on a third machine (quorate qdevice setup), or a third node.'
      : 'An even node count gains nothing from its last node: add a QDevice (1 vote) so a split in half keeps one side quorate.';
  out.push(
    check(
      'node-count',
      'cluster',
      status,
      `${total} node(s), can lose ${canLose}`,
      'an odd count, or even + QDevice',
      hint,
    ),
  );
  return out;
}
