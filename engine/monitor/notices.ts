/**
 * What changed between two settled healths, as the notifications a user gets (native notification,
 * in-app banner, tray). Pure. The recovery guidance follows the Proxmox cluster chapter: restore the
 * missing nodes' network or power first; `expected` votes only as the last resort, because a cluster
 * that believes it is quorate on both sides of a split corrupts shared state.
 * (https://pve.proxmox.com/wiki/Cluster_Manager#_quorum)
 */
import type { ClusterHealth } from './health';

export type NoticeKind =
  | 'quorum-lost'
  | 'quorum-regained'
  | 'node-left'
  | 'node-lost'
  | 'node-joined'
  | 'qdevice-unreachable'
  | 'qdevice-reachable'
  /** Expected votes had been lowered (`expected`) and corosync raised them back (issue 12 §4). */
  | 'expected-restored';

export interface Notice {
  readonly kind: NoticeKind;
  readonly cluster: string;
  /** Milliseconds since the epoch, from the monitor's injected clock: when the change settled. */
  readonly at: number;
  /** Milliseconds since the epoch when the change was first seen (before debouncing). */
  readonly seenAt: number;
  readonly severity: 'critical' | 'warning' | 'info';
  /** The node concerned, for node-left / node-lost / node-joined. */
  readonly node?: string;
  readonly title: string;
  readonly body: string;
  /** Steps to recover, in order; empty for good news. */
  readonly guidance: readonly string[];
}

/**
 * The notices for going from `before` to `after` (both settled), most severe first. `wasMember`
 * tells whether a node has been seen in a membership before (default: it was when it is in
 * `before`'s nodelist): a node seen for the first time "joined", one seen before "is back".
 */
export function noticesBetween(
  before: ClusterHealth,
  after: ClusterHealth,
  at: number,
  seenAt: number,
  wasMember: (node: string) => boolean = (node) => before.nodes.includes(node),
): Notice[] {
  const c = after.cluster;
  const out: Notice[] = [];
  const base = { cluster: c, at, seenAt };
  if (after.quorate === false && before.quorate !== false) {
    out.push({
      ...base,
      kind: 'quorum-lost',
      severity: 'critical',
      title: `${c}: quorum lost`,
      body:
        after.members.length > 0
          ? `No partition of ${c} holds a majority of votes; the largest one (${after.members.join(', ')}) is not quorate. Nodes block changes to shared configuration until quorum returns.`
          : after.stopped.length === after.nodes.length
            ? `corosync is stopped on every node of ${c}.`
            : `No reachable node of ${c} reports quorum.`,
      guidance: lostGuidance(after),
    });
  }
  if (after.quorate === true && before.quorate === false) {
    out.push({
      ...base,
      kind: 'quorum-regained',
      severity: 'info',
      title: `${c}: quorum regained`,
      body: `${c} is quorate again with ${after.members.join(', ')}.`,
      guidance: [],
    });
  }
  // Membership changes are only meaningful between two known states (not at start-up, not when
  // every agent went silent: that is "unknown", shown by the tray, not a node leaving).
  if (before.state !== 'unknown' && after.state !== 'unknown') {
    for (const node of before.members.filter((n) => !after.members.includes(n))) {
      out.push(departure(base, c, node, after));
    }
    for (const node of after.members.filter((n) => !before.members.includes(n))) {
      const back = before.nodes.includes(node) && wasMember(node);
      out.push({
        ...base,
        kind: 'node-joined',
        severity: 'info',
        node,
        title: back ? `${c}: ${node} is back` : `${c}: ${node} joined the cluster`,
        body: back
          ? `${node} is in the membership of ${c} again.`
          : before.nodes.includes(node)
            ? `${node} is in the membership of ${c}.`
            : `${node} is a new member of ${c}.`,
        guidance: [],
      });
    }
  }
  if (after.qdevice === 'unreachable' && before.qdevice === 'ok' && after.state !== 'unknown') {
    out.push({
      ...base,
      kind: 'qdevice-unreachable',
      severity: 'warning',
      title: `${c}: QDevice vote lost`,
      body: `The nodes of ${c} no longer get the QDevice vote (flags NA or NV). The cluster has one vote less to lose.`,
      guidance: [
        'Check that the QDevice machine is up and corosync-qnetd runs there (`corosync-qnetd-tool -l`).',
        'Check that TCP port 5403 from the nodes to the QDevice machine is open.',
      ],
    });
  }
  if (after.qdevice === 'ok' && before.qdevice === 'unreachable' && before.state !== 'unknown') {
    out.push({
      ...base,
      kind: 'qdevice-reachable',
      severity: 'info',
      title: `${c}: QDevice vote back`,
      body: `The nodes of ${c} get the QDevice vote again.`,
      guidance: [],
    });
  }
  const order = { critical: 0, warning: 1, info: 2 } as const;
  return out.sort((a, b) => order[a.severity] - order[b.severity]);
}

/**
 * A member gone from the partition: "left" (info) when its own agent says corosync stopped there or
 * it is no longer in the nodelist, "lost" (warning) when it is cut off, crashed or unreachable.
 */
function departure(
  base: { cluster: string; at: number; seenAt: number },
  c: string,
  node: string,
  after: ClusterHealth,
): Notice {
  if (!after.nodes.includes(node)) {
    return {
      ...base,
      kind: 'node-left',
      severity: 'info',
      node,
      title: `${c}: ${node} removed from the cluster`,
      body: `${node} is no longer in the nodelist of ${c}.`,
      guidance: [],
    };
  }
  if (after.stopped.includes(node)) {
    return leftNotice(base, node);
  }
  return {
    ...base,
    kind: 'node-lost',
    severity: 'warning',
    node,
    title: `${c}: ${node} lost`,
    body: `${node} is no longer in the membership of ${c}, and Quorate cannot see corosync stop there: it is cut off, crashed or powered off.`,
    guidance: [
      `Check that ${node} is powered on and its cluster network links are up.`,
      `On ${node}, \`corosync-cfgtool -s\` shows the state of each link.`,
    ],
  };
}

/** A clean stop: corosync was stopped on `node` (its own agent says so). */
export function leftNotice(base: { cluster: string; at: number; seenAt: number }, node: string): Notice {
  const c = base.cluster;
  return {
    ...base,
    kind: 'node-left',
    severity: 'info',
    node,
    title: `${c}: ${node} left`,
    body: `corosync was stopped on ${node}; the others carry on without it.`,
    guidance: [`Start corosync on ${node} again when it should rejoin (\`systemctl start corosync\`).`],
  };
}

function lostGuidance(after: ClusterHealth): string[] {
  const steps = [
    after.missing.length > 0
      ? `Bring back the missing nodes (${after.missing.join(', ')}): power, cable, switch port, or firewall on UDP 5405–5412.`
      : 'Check the cluster network between the nodes: power, cable, switch port, or firewall on UDP 5405–5412.',
    'Quorum returns by itself as soon as a majority of votes can talk to each other again.',
    'Only if those nodes are gone for good and the others must work now: lower expected votes (Expected votes dialog, `pvecm expected`). Never do this while the missing nodes might still be running: both sides could then act as the cluster.',
  ];
  return steps;
}
