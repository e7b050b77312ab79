/**
 * Plan builders: pure functions from the cluster as it is (a `ClusterSpec` read from a member) and
 * what the user asked, to a `Plan` with its steps, files, quorum before/after and warnings. Refusals
 * that need no machine (typed confirmation, inquorate remainder, lms consent) happen here.
 */
import { err, ok, type Result } from '../result';
import { checkConfText } from '../corosync';
import type { LinkNumber, QdeviceAlgorithm } from '../model/cluster';
import { loweredExpectedSummary, nodelistVotes, qdeviceVotesFor, type QuorumSummary } from '../model';
import * as corosync from '../providers/corosync';
import * as pve from '../providers/pve';
import { filesOf, type Plan, type Step } from './plan';
import {
  newSpec,
  quorumSummary,
  withLink,
  withNodes,
  withoutNode,
  withoutQdevice,
  withQdevice,
  type ClusterSpec,
  type SpecNode,
} from './spec';

export type ProviderName = 'corosync' | 'pve';

export interface NewNode {
  readonly machine: string;
  readonly hostname: string;
  readonly addresses: Partial<Record<LinkNumber, string>>;
}

function plan(
  op: string,
  provider: ProviderName,
  before: ClusterSpec | null,
  after: ClusterSpec,
  steps: Step[],
  warnings: string[],
  afterSummary: QuorumSummary = quorumSummary(after),
): Plan {
  const files = provider === 'pve' ? {} : filesOf(steps);
  const machines = Object.fromEntries(after.nodes.map((n) => [n.name, n.machine ?? n.name]));
  return {
    op,
    cluster: after.name,
    provider,
    steps,
    files,
    before: before ? quorumSummary(before) : null,
    after: afterSummary,
    warnings,
    machines,
  };
}

/**
 * Every corosync.conf a plan installs is checked by engine/corosync's validator before anything runs
 * (and again by `corosync -t` on each node before it takes effect).
 */
function checked(p: Plan): Result<Plan> {
  const warnings = [...p.warnings];
  for (const s of p.steps) {
    if (s.action.kind !== 'install-conf') {
      continue;
    }
    const problems = checkConfText(s.action.content);
    const errors = problems.filter((x) => x.severity === 'error');
    if (errors.length) {
      return err(
        'ops.invalid-conf',
        `the corosync.conf planned for ${s.machine} is invalid: ${errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('; ')}`,
        errors[0]!.hint,
      );
    }
    for (const w of problems) {
      if (w.severity === 'warning' && !warnings.includes(w.message)) {
        warnings.push(w.message);
      }
    }
  }
  return ok({ ...p, warnings });
}

const toSpecNode = (n: NewNode): Omit<SpecNode, 'nodeid'> => ({
  name: n.hostname,
  machine: n.machine,
  addresses: n.addresses,
});

/** create NAME: the first node founds the cluster, the others join it; verified quorate on every node. */
export function planCreate(input: {
  name: string;
  nodes: readonly NewNode[];
  linkPriorities?: Partial<Record<LinkNumber, number>>;
  provider: ProviderName;
}): Result<Plan> {
  if (!/^[A-Za-z0-9-]{1,15}$/.test(input.name)) {
    return err(
      'ops.bad-cluster-name',
      `cluster name "${input.name}" is not allowed`,
      'Use 1–15 letters, digits or dashes (pvecm’s rule, also safe for corosync and qnetd).',
    );
  }
  if (input.nodes.length === 0) {
    return err('ops.no-nodes', 'create needs at least one node', 'Pass --node ADDR for each machine.');
  }
  const made = newSpec(input.name, input.nodes.map(toSpecNode), input.linkPriorities);
  if (!made.ok) {
    return made;
  }
  const spec = made.value;
  const steps = input.provider === 'pve' ? pve.pveCreateSteps(spec) : corosync.createSteps(spec);
  const warnings: string[] = [];
  if (spec.nodes.length === 2) {
    warnings.push(
      'Two nodes: two_node is set (both must be up at a cold start), and losing either stops the other from starting anything new after a restart; add a QDevice.',
    );
  }
  if (spec.nodes.length > 2 && spec.nodes.length % 2 === 0) {
    warnings.push('An even node count: consider a QDevice so that a split in half keeps one side quorate.');
  }
  return checked(plan('create', input.provider, null, spec, steps, warnings));
}

/** The QDevice must come off before a membership change and go back on after it (corosync refuses otherwise). */
function aroundQdevice(
  before: ClusterSpec,
  change: (s: ClusterSpec) => Result<{ after: ClusterSpec; steps: Step[] }>,
  provider: ProviderName,
  qnetdMachine: string | undefined,
): Result<{ after: ClusterSpec; steps: Step[]; warnings: string[] }> {
  if (!before.qdevice) {
    const changed = change(before);
    return changed.ok ? ok({ ...changed.value, warnings: [] }) : changed;
  }
  if (!qnetdMachine && provider === 'corosync') {
    return err(
      'ops.qnetd-unknown',
      `cluster ${before.name} has a QDevice on ${before.qdevice.host}, but Quorate does not know that machine`,
      'Add the qnetd host with `quorate hosts add`, or remove the QDevice first.',
    );
  }
  const noQ = withoutQdevice(before);
  if (!noQ.ok) {
    return noQ;
  }
  const removeSteps =
    provider === 'pve' ? pve.pveQdeviceRemoveSteps(noQ.value) : corosync.qdeviceRemoveSteps(before, noQ.value);
  const changed = change(noQ.value);
  if (!changed.ok) {
    return changed;
  }
  const mid = changed.value.after;
  const votes = qdeviceVotesFor(before.qdevice.algorithm, mid.votequorum.nodes);
  // two_node, which the change may have set for two nodes without the QDevice, is dropped again here.
  const withQ = withQdevice(mid, { ...before.qdevice, votes, ...(qnetdMachine ? { machine: qnetdMachine } : {}) });
  if (!withQ.ok) {
    return withQ;
  }
  const setupSteps =
    provider === 'pve'
      ? pve.pveQdeviceSetupSteps(withQ.value.spec)
      : corosync.qdeviceSetupSteps(mid, withQ.value.spec, qnetdMachine!);
  return ok({
    after: withQ.value.spec,
    steps: [...removeSteps, ...changed.value.steps, ...setupSteps],
    warnings: [
      'A QDevice is configured: it is removed, the membership changed, and the QDevice set up again, as one plan. Quorum is without the QDevice vote meanwhile.',
      ...(mid.nodes.length % 2 === 1
        ? [
            `After the change the cluster has an odd node count (${mid.nodes.length}): the Proxmox docs discourage a QDevice there; consider removing it afterwards (quorate qdevice remove).`,
          ]
        : []),
    ],
  });
}

/** join: new nodes into the cluster described by `before` (read from a member). */
export function planJoin(input: {
  before: ClusterSpec;
  nodes: readonly NewNode[];
  provider: ProviderName;
  qnetdMachine?: string;
}): Result<Plan> {
  const { before } = input;
  for (const n of input.nodes) {
    if (before.nodes.some((m) => m.name === n.hostname)) {
      return err(
        'ops.name-taken',
        `cluster ${before.name} already has a node named ${n.hostname}`,
        'Rename the machine, or remove the old node first.',
      );
    }
  }
  const joiners = input.nodes.map((n) => n.machine);
  const r = aroundQdevice(
    before,
    (s) => {
      const after = withNodes(s, input.nodes.map(toSpecNode));
      if (!after.ok) {
        return after;
      }
      return ok({
        after: after.value,
        steps:
          input.provider === 'pve'
            ? pve.pveJoinSteps(s, after.value, joiners)
            : corosync.joinSteps(s, after.value, joiners),
      });
    },
    input.provider,
    input.qnetdMachine,
  );
  if (!r.ok) {
    return r;
  }
  const warnings = [
    ...r.value.warnings,
    `The joining node(s) get a new /etc/corosync (their cluster configuration is overwritten): ${input.nodes.map((n) => n.hostname).join(', ')}.`,
  ];
  return checked(plan('join', input.provider, before, r.value.after, r.value.steps, warnings));
}

/**
 * remove: only a node that is not a member any more (stopped / powered off); refused when the rest
 * would be inquorate unless `force` carries the cluster name typed by the user.
 */
export function planRemove(input: {
  before: ClusterSpec;
  name: string;
  onlineMembers: readonly string[];
  removedReachable: boolean;
  force?: { confirm: string };
  provider: ProviderName;
  qnetdMachine?: string;
}): Result<Plan> {
  const { before } = input;
  const node = before.nodes.find((n) => n.name === input.name);
  if (!node) {
    return err(
      'ops.no-such-node',
      `cluster ${before.name} has no node named ${input.name}`,
      `Nodes: ${before.nodes.map((n) => n.name).join(', ')}.`,
    );
  }
  if (input.onlineMembers.includes(input.name)) {
    return err(
      'ops.node-still-member',
      `${input.name} is still an active member of ${before.name}`,
      `Power it off or stop corosync on it first (\`systemctl stop corosync\`), then remove it; it must not come back with the old configuration.`,
    );
  }
  const r = aroundQdevice(
    before,
    (s) => {
      const after = withoutNode(s, input.name);
      if (!after.ok) {
        return after;
      }
      return ok({
        after: after.value,
        steps:
          input.provider === 'pve'
            ? pve.pveRemoveSteps(after.value, input.name)
            : corosync.removeSteps(s, after.value, {
                name: input.name,
                ...(node.machine ? { machine: node.machine } : {}),
                reachable: input.removedReachable,
              }),
      });
    },
    input.provider,
    input.qnetdMachine,
  );
  if (!r.ok) {
    return r;
  }
  const after = r.value.after;
  const rest = after.nodes.filter((n) => input.onlineMembers.includes(n.name));
  const aq = quorumSummary(after);
  // The QDevice is set up again at the end: the online rest plus its vote, against the new quorum.
  const restVotes =
    rest.reduce((a, n) => a + (n.votes ?? 1), 0) + aq.totalVotes - nodelistVotes(after.votequorum.nodes);
  const warnings = [...r.value.warnings];
  if (restVotes < aq.quorum && !after.twoNode) {
    if (input.force?.confirm !== before.name) {
      return err(
        'ops.would-be-inquorate',
        `after removing ${input.name}, the online nodes of ${before.name} hold ${restVotes} of the ${aq.quorum} votes needed`,
        `Bring the other nodes back first. To remove anyway, pass --force and type the cluster name (${before.name}) to confirm.`,
      );
    }
    warnings.push(
      `Forced: the remaining online nodes hold ${restVotes} of ${aq.quorum} votes and will not be quorate.`,
    );
  }
  return checked(plan('remove', input.provider, before, after, r.value.steps, warnings));
}

/** link: add or change link N on every node (addresses keyed by node name). */
export function planLink(input: {
  before: ClusterSpec;
  link: LinkNumber;
  addresses: Readonly<Record<string, string>>;
  priority?: number;
  provider: ProviderName;
}): Result<Plan> {
  const missing = input.before.nodes
    .filter((n) => !input.addresses[n.name] && n.addresses[input.link] === undefined)
    .map((n) => n.name);
  if (missing.length) {
    return err(
      'ops.link-incomplete',
      `link${input.link} has no address for ${missing.join(', ')}`,
      'Every node needs an address on every link.',
    );
  }
  if (input.provider === 'pve') {
    return err(
      'ops.unsupported',
      'changing links on Proxmox VE is done by editing /etc/pve/corosync.conf',
      'Follow the Proxmox guide "Adding Redundant Links To An Existing Cluster"; Quorate does not write /etc/pve.',
    );
  }
  const after = withLink(input.before, input.link, input.addresses, input.priority);
  if (!after.ok) {
    return after;
  }
  return checked(
    plan('link', input.provider, input.before, after.value, corosync.linkSteps(input.before, after.value), []),
  );
}

/** qdevice setup: ffsplit for even counts; lms (N−1 votes) for odd counts only with consent. */
export function planQdeviceSetup(input: {
  before: ClusterSpec;
  host: string;
  qnetdMachine: string;
  algorithm?: QdeviceAlgorithm;
  consent?: boolean;
  provider: ProviderName;
}): Result<Plan> {
  const n = input.before.nodes.length;
  if (input.before.qdevice) {
    return err(
      'ops.qdevice-exists',
      `cluster ${input.before.name} already has a QDevice on ${input.before.qdevice.host}`,
      'Remove it first (quorate qdevice remove).',
    );
  }
  const algorithm = input.algorithm ?? (n % 2 === 0 ? 'ffsplit' : 'lms');
  const warnings: string[] = [];
  if (n % 2 === 1) {
    if (!input.consent) {
      return err(
        'ops.qdevice-odd-consent',
        `${input.before.name} has an odd node count (${n}): a QDevice would get ${qdeviceVotesFor('lms', input.before.votequorum.nodes)} votes (lms) and become almost a single point of failure`,
        'The Proxmox docs discourage this. If you accept the trade-off, run again with --yes.',
      );
    }
    warnings.push(
      `Odd node count: the QDevice gets ${qdeviceVotesFor(algorithm, input.before.votequorum.nodes)} vote(s); losing it together with one node can cost quorum.`,
    );
  }
  if (n % 2 === 0 && algorithm === 'lms') {
    warnings.push('lms on an even node count: ffsplit is the usual choice.');
  }
  const votes = qdeviceVotesFor(algorithm, input.before.votequorum.nodes);
  const edited = withQdevice(input.before, { host: input.host, algorithm, votes, machine: input.qnetdMachine });
  if (!edited.ok) {
    return edited;
  }
  const after = edited.value.spec;
  if (edited.value.removed.length) {
    warnings.push(`corosync refuses these beside a QDevice, so they are removed: ${edited.value.removed.join(', ')}.`);
  }
  warnings.push(
    'Between the reload and the qdevice daemons starting (a second or two), expected votes already count the QDevice: losing a node in that window loses quorum.',
  );
  const steps =
    input.provider === 'pve'
      ? pve.pveQdeviceSetupSteps(after)
      : corosync.qdeviceSetupSteps(input.before, after, input.qnetdMachine);
  return checked(plan('qdevice-setup', input.provider, input.before, after, steps, warnings));
}

export function planQdeviceRemove(input: { before: ClusterSpec; provider: ProviderName }): Result<Plan> {
  if (!input.before.qdevice) {
    return err('ops.no-qdevice', `cluster ${input.before.name} has no QDevice`, 'Nothing to remove.');
  }
  const edited = withoutQdevice(input.before);
  if (!edited.ok) {
    return edited;
  }
  const after = edited.value;
  const steps =
    input.provider === 'pve' ? pve.pveQdeviceRemoveSteps(after) : corosync.qdeviceRemoveSteps(input.before, after);
  return checked(
    plan(
      'qdevice-remove',
      input.provider,
      input.before,
      after,
      steps,
      after.twoNode ? ['two_node is set again (two nodes without a QDevice).'] : [],
    ),
  );
}

/** expected: the emergency lever. Typed confirmation, and a reminder to restore it. */
export function planExpected(input: {
  before: ClusterSpec;
  votes: number;
  confirm: string;
  machine: string;
  provider: ProviderName;
}): Result<Plan> {
  if (input.confirm !== input.before.name) {
    return err(
      'ops.confirm-mismatch',
      `--confirm must be the cluster name (${input.before.name}), got "${input.confirm}"`,
      'Lowering expected votes can let two halves both act as the cluster. Type the cluster name to confirm.',
    );
  }
  if (!Number.isInteger(input.votes) || input.votes < 1) {
    return err(
      'ops.bad-votes',
      `--votes must be a positive integer, got ${input.votes}`,
      'Pass the number of votes the surviving nodes hold.',
    );
  }
  const after = input.before;
  const steps =
    input.provider === 'pve'
      ? [
          {
            id: `pvecm-expected-${input.votes}@${input.machine}`,
            machine: input.machine,
            title: pve.pvecmExpected(input.votes),
            action: { kind: 'run' as const, command: pve.pvecmExpected(input.votes) },
          },
        ]
      : corosync.expectedSteps(input.before, input.machine, input.votes);
  return checked(
    plan(
      'expected',
      input.provider,
      input.before,
      after,
      steps,
      [
        `Emergency only: with expected votes at ${input.votes}, this partition acts as the cluster. Make sure the missing nodes are really off.`,
        'Reminder: the setting lasts until the next membership change; once the nodes are back, check `quorate status` shows the full expected votes again.',
      ],
      loweredExpectedSummary(input.before.nodes.length, input.votes),
    ),
  );
}
