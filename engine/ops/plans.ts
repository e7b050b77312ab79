/**
 * Plan builders: pure functions from the cluster as it is (a `ClusterSpec` read from a member) and
 * what the user asked, to a `Plan` with its steps, files, quorum before/after and warnings. Refusals
 * that need no machine (typed confirmation, inquorate remainder, lms consent) happen here.
 * Over 400 lines on purpose: one short pure builder per operation over the shared `plan`/`checked`
 * helpers and quorum figures; one file keeps every operation's refusals side by side.
 */
import { err, ok, type Result } from '../result';
import { checkConfText } from '../corosync';
import type { LinkNumber, QdeviceAlgorithm } from '../model/cluster';
import { loweredExpectedSummary, nodelistVotes, qdeviceVotesFor, type QuorumSummary } from '../model';
import * as corosync from '../providers/corosync';
import * as pve from '../providers/pve';
import { fileActionsOf, filesOf, type Plan, type Step } from './plan';
import {
  newSpec,
  oneBump,
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
  const fileActions = provider === 'pve' ? {} : fileActionsOf(steps);
  const machines = Object.fromEntries(after.nodes.map((n) => [n.name, n.machine ?? n.name]));
  return {
    op,
    cluster: after.name,
    provider,
    steps,
    files,
    fileActions,
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
  /** Hostnames of joiners that already have a corosync.conf (it is overwritten): the warning names them. */
  joinersWithConfig?: readonly string[];
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
  const overwritten = input.joinersWithConfig ?? [];
  const warnings = [
    ...r.value.warnings,
    ...(overwritten.length
      ? [
          `${overwritten.join(', ')} already ${overwritten.length === 1 ? 'has' : 'have'} a corosync.conf: it is replaced by the cluster's (the old one is kept as corosync.conf.bak.<version>).`,
        ]
      : []),
  ];
  const p = plan('join', input.provider, before, r.value.after, r.value.steps, warnings);
  // A joiner that had a corosync.conf gets it replaced, not created.
  const replaced = new Set(input.nodes.filter((n) => overwritten.includes(n.hostname)).map((n) => n.machine));
  const fileActions = Object.fromEntries(
    Object.entries(p.fileActions ?? {}).map(([m, files]) => [
      m,
      replaced.has(m) && files['/etc/corosync/corosync.conf'] === 'create'
        ? { ...files, '/etc/corosync/corosync.conf': 'modify' as const }
        : files,
    ]),
  );
  return checked({ ...p, fileActions });
}

/** What becomes of a QDevice when a remove leaves an odd node count. */
export type RemoveQdeviceChoice = 'keep-lms' | 'remove';

/**
 * remove: only a node that is not a member any more (powered off, cut, or corosync stopped). The
 * plan acts on the nodes that remain and are online — never on the removed node (beyond cleaning
 * it when it can be reached) nor on a node that is down — and verifies with those. With a QDevice,
 * the new file drops the node (and the QDevice, or switches it to lms) in one config_version, and
 * the qdevice daemons are stopped only after corosync runs it: quorum never needs the QDevice vote
 * while the daemons change. An ffsplit QDevice on an odd result needs the user's choice.
 */
export function planRemove(input: {
  before: ClusterSpec;
  name: string;
  onlineMembers: readonly string[];
  removedReachable: boolean;
  force?: { confirm: string };
  provider: ProviderName;
  qnetdMachine?: string;
  qdevice?: RemoveQdeviceChoice;
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
  const withoutIt = withoutNode(before, input.name);
  if (!withoutIt.ok) {
    return withoutIt;
  }
  const rest = withoutIt.value.nodes.length;
  const q = before.qdevice;
  let after = withoutIt.value;
  const warnings: string[] = [];
  let dropsQdevice = false;
  if (q) {
    const odd = rest % 2 === 1;
    let choice = input.qdevice;
    if (choice === undefined && odd && q.algorithm === 'ffsplit') {
      const drop = quorumSummary(unwrapSpec(withoutQdevice(withoutIt.value)) ?? withoutIt.value);
      return err(
        'ops.remove-qdevice-choice',
        `removing ${input.name} leaves ${before.name} with ${rest} nodes, an odd count, and its QDevice uses ffsplit (for even counts)`,
        `Choose: --qdevice remove (also remove the QDevice: ${rest} nodes, can lose ${drop.canLose}), or --qdevice keep-lms (keep it, switched to lms with ${qdeviceVotesFor('lms', withoutIt.value.votequorum.nodes)} votes).`,
      );
    }
    choice ??= 'keep-lms';
    if (choice === 'remove') {
      const noQ = withoutQdevice(withoutIt.value);
      if (!noQ.ok) {
        return noQ;
      }
      after = noQ.value;
      dropsQdevice = true;
    } else {
      if (!input.qnetdMachine && input.provider === 'corosync') {
        return err(
          'ops.qnetd-unknown',
          `cluster ${before.name} has a QDevice on ${q.host}, but Quorate does not know that machine`,
          'Add the qnetd host with `quorate hosts add`, or pass --qdevice remove.',
        );
      }
      const algorithm = odd ? 'lms' : q.algorithm;
      const votes = qdeviceVotesFor(algorithm, withoutIt.value.votequorum.nodes);
      if (algorithm !== q.algorithm || votes !== q.votes) {
        const kept = withQdevice(withoutIt.value, { ...q, algorithm, votes });
        if (!kept.ok) {
          return kept;
        }
        after = kept.value.spec;
        warnings.push(
          `The QDevice is kept with ${algorithm} and ${votes} vote(s) for ${rest} nodes; its daemons restart after the reload (its vote is missing for a few seconds).`,
        );
      }
    }
  }
  // One file for the whole remove: the node and the QDevice change under one config_version.
  const once = oneBump(before, ok(after));
  if (!once.ok) {
    return once;
  }
  after = once.value;
  const acting = after.nodes.filter((n) => input.onlineMembers.includes(n.name));
  const down = after.nodes.filter((n) => !input.onlineMembers.includes(n.name));
  if (acting.length === 0) {
    return err(
      'ops.no-member-left',
      `no remaining node of ${before.name} is online`,
      'Start at least one of the other nodes first; the new configuration is written on the nodes that are up.',
    );
  }
  if (down.length) {
    warnings.push(
      `${down.map((n) => n.name).join(', ')} ${down.length === 1 ? 'is' : 'are'} down: the new corosync.conf is written on the online nodes only; copy it to ${down.length === 1 ? 'it' : 'them'} before starting corosync there.`,
    );
  }
  const aq = quorumSummary(after);
  const restVotes =
    acting.reduce((a, n) => a + (n.votes ?? 1), 0) + aq.totalVotes - nodelistVotes(after.votequorum.nodes);
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
  const machines = acting.map((n) => n.machine ?? n.name);
  const steps =
    input.provider === 'pve'
      ? pve.pveRemoveSteps(after, input.name)
      : corosync.removeSteps(before, after, machines, {
          name: input.name,
          ...(node.machine ? { machine: node.machine } : {}),
          reachable: input.removedReachable,
        });
  const p = plan('remove', input.provider, before, after, steps, warnings);
  return checked(dropsQdevice ? { ...p, dropsQdevice } : p);
}

const unwrapSpec = (r: Result<ClusterSpec>): ClusterSpec | undefined => (r.ok ? r.value : undefined);

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

export function planQdeviceRemove(input: {
  before: ClusterSpec;
  provider: ProviderName;
  /** Nodes that are members now (default: all): the plan acts on these only. */
  onlineMembers?: readonly string[];
}): Result<Plan> {
  if (!input.before.qdevice) {
    return err('ops.no-qdevice', `cluster ${input.before.name} has no QDevice`, 'Nothing to remove.');
  }
  const edited = withoutQdevice(input.before);
  if (!edited.ok) {
    return edited;
  }
  const after = edited.value;
  const online = input.onlineMembers;
  const acting = after.nodes.filter((n) => !online || online.includes(n.name)).map((n) => n.machine ?? n.name);
  if (acting.length === 0) {
    return err('ops.no-member-left', `no node of ${input.before.name} is online`, 'Start the nodes first.');
  }
  const steps =
    input.provider === 'pve'
      ? pve.pveQdeviceRemoveSteps(after)
      : corosync.qdeviceRemoveSteps(input.before, after, acting);
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
