/**
 * Provider `pve` (Proxmox VE): Quorate drives `pvecm` and never writes /etc/pve itself — pmxcfs owns
 * it. Pure command builders and step lists; verification polls `corosync-quorumtool -s` (what
 * `pvecm status` runs; engine/corosync parses both). There is no Proxmox in the test lab: these are
 * tested against the documented pvecm outputs (shared/seeds/004) only.
 */
import type { LinkNumber, QdeviceAlgorithm } from '../model/cluster';
import type { Step } from '../plan/plan';
import { sh } from '../shell';
import type { ClusterSpec } from '../plan/spec';

/** `--link0 ADDR --link1 ADDR …` as argv words, in link order. */
const linkArgs = (addresses: Partial<Record<LinkNumber, string>>): string[] =>
  (Object.keys(addresses).map(Number).sort() as LinkNumber[]).flatMap((l) => [`--link${l}`, addresses[l]!]);

/** `pvecm create NAME --link0 ADDR …` */
export function pvecmCreate(name: string, addresses: Partial<Record<LinkNumber, string>>): string {
  return sh`pvecm create ${[name, ...linkArgs(addresses)]}`;
}

/** `pvecm add MEMBER --link0 ADDR … --use_ssh 1`: joins through SSH to an existing member (no password prompt). */
export function pvecmAdd(memberAddress: string, addresses: Partial<Record<LinkNumber, string>>): string {
  return sh`pvecm add ${[memberAddress, ...linkArgs(addresses)]} --use_ssh 1`;
}

export function pvecmDelnode(name: string): string {
  return sh`pvecm delnode ${name}`;
}

/** `pvecm qdevice setup ADDR [--force]`: --force is what pvecm requires for odd node counts (lms). */
export function pvecmQdeviceSetup(address: string, algorithm: QdeviceAlgorithm): string {
  return sh`pvecm qdevice setup ${[address, ...(algorithm === 'lms' ? ['--force'] : [])]}`;
}

export const pvecmQdeviceRemove = 'pvecm qdevice remove';
export const pvecmExpected = (votes: number): string => sh`pvecm expected ${votes}`;

const inCluster = 'test -f /etc/pve/corosync.conf';

/** True once no nodelist entry of /etc/pve/corosync.conf is `name: NAME` (whole line, compared as text). */
function nodeGone(name: string): string {
  return sh`! sed 's/^[[:space:]]*//;s/[[:space:]]*$//' /etc/pve/corosync.conf | grep -qxF -- ${`name: ${name}`}`;
}

/** Verification for pve uses `pvecm status` semantics through corosync-quorumtool (pvecm runs it). */
function verify(spec: ClusterSpec, machines: readonly string[]): Step[] {
  return machines.map((m) => ({
    id: `verify-v${spec.configVersion}@${m}`,
    machine: m,
    title: `verify: ${machines.length} member(s), quorate`,
    action: {
      kind: 'wait-quorum',
      members: machines.length,
      quorate: true,
      ...(spec.qdevice ? { qdeviceVote: true } : {}),
      timeoutMs: 90_000,
    },
  }));
}

const machinesOf = (spec: ClusterSpec): string[] => spec.nodes.map((n) => n.machine ?? n.name);

export function pveCreateSteps(spec: ClusterSpec): Step[] {
  const [first, ...rest] = spec.nodes;
  if (!first) {
    return [];
  }
  const fm = first.machine ?? first.name;
  const steps: Step[] = [
    {
      id: `pvecm-create@${fm}`,
      machine: fm,
      title: `pvecm create ${spec.name}`,
      action: { kind: 'run', command: pvecmCreate(spec.name, first.addresses), doneIf: inCluster, timeoutMs: 120_000 },
    },
  ];
  for (const n of rest) {
    const m = n.machine ?? n.name;
    steps.push({
      id: `pvecm-add@${m}`,
      machine: m,
      title: `pvecm add ${first.addresses[0]}`,
      action: {
        kind: 'run',
        command: pvecmAdd(first.addresses[0]!, n.addresses),
        doneIf: inCluster,
        timeoutMs: 180_000,
      },
    });
  }
  steps.push(...verify(spec, machinesOf(spec)));
  return steps;
}

export function pveJoinSteps(before: ClusterSpec, after: ClusterSpec, joiners: readonly string[]): Step[] {
  const first = before.nodes[0]!;
  const steps: Step[] = after.nodes
    .filter((n) => joiners.includes(n.machine ?? n.name))
    .map((n) => ({
      id: `pvecm-add@${n.machine ?? n.name}`,
      machine: n.machine ?? n.name,
      title: `pvecm add ${first.addresses[0]}`,
      action: {
        kind: 'run' as const,
        command: pvecmAdd(first.addresses[0]!, n.addresses),
        doneIf: inCluster,
        timeoutMs: 180_000,
      },
    }));
  return [...steps, ...verify(after, machinesOf(after))];
}

export function pveRemoveSteps(after: ClusterSpec, name: string): Step[] {
  const m = machinesOf(after)[0]!;
  return [
    {
      id: `pvecm-delnode-${name}@${m}`,
      machine: m,
      title: `pvecm delnode ${name}`,
      action: { kind: 'run', command: pvecmDelnode(name), doneIf: nodeGone(name) },
    },
    ...verify(after, machinesOf(after)),
  ];
}

export function pveQdeviceSetupSteps(after: ClusterSpec): Step[] {
  const m = machinesOf(after)[0]!;
  return [
    {
      id: `pvecm-qdevice-setup@${m}`,
      machine: m,
      title: `pvecm qdevice setup ${after.qdevice!.host}`,
      action: {
        kind: 'run',
        command: pvecmQdeviceSetup(after.qdevice!.host, after.qdevice!.algorithm),
        doneIf: 'grep -q "model: net" /etc/pve/corosync.conf',
        timeoutMs: 180_000,
      },
    },
    ...verify(after, machinesOf(after)),
  ];
}

export function pveQdeviceRemoveSteps(after: ClusterSpec): Step[] {
  const m = machinesOf(after)[0]!;
  return [
    {
      id: `pvecm-qdevice-remove@${m}`,
      machine: m,
      title: 'pvecm qdevice remove',
      action: {
        kind: 'run',
        command: pvecmQdeviceRemove,
        doneIf: '! grep -q "model: net" /etc/pve/corosync.conf',
        timeoutMs: 120_000,
      },
    },
    ...verify(after, machinesOf(after)),
  ];
}
