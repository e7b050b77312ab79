/**
 * `quorate preflight|create|join|remove|qdevice|expected|status`: cluster operations from a terminal.
 * JSON shapes are fixed (scripts depend on them; see issue 4 §3). Exit 0 only when the operation was
 * verified against what corosync reports; 1 on a refused or failed operation; 2 on usage errors.
 */
import { parseArgs } from 'node:util';
import type { LinkNumber } from '../model/cluster';
import type { StepEvent } from '../ops/executor';
import {
  changeLink,
  createCluster,
  joinCluster,
  preflightMachines,
  removeNode,
  removeQdevice,
  setupQdevice,
  type OpResult,
  type OpsContext,
} from '../ops/operations';
import type { ClusterSnapshot, RanPlan, RunOutcome, RunReport, StepUpdate } from '../api/contract';
import { createEventHub, type EventHub } from '../api/event-hub';
import { createOperationsService, type OperationsService } from '../api/service-ops';
import { createStatusService, type StatusService } from '../api/service-status';
import { QDEVICE_FLAG_MEANINGS } from '../providers/qdevice-flags';
import type { QuorateError, Result } from '../result';
import { cliHintOf, err } from '../result';
import type { Check } from '../preflight/types';
import type { CliIo } from './io';
import { cliError, printError, UsageError } from './io';
import type { CliServiceOptions } from './service';
import { withService } from './service';

export interface ClusterCommandDeps extends CliServiceOptions {
  /** Replaces the service's context (tests); default: the service's, over the machines in the state folder. */
  readonly ctx?: OpsContext;
}

/** The service's operation handlers the CLI calls (the window calls the same over the RPC). */
type OperationHandlers = Pick<OperationsService, 'planSetExpected' | 'runPlan'>;

/**
 * Runs `fn` with the service's operation handlers, printing their step updates as progress; with
 * `deps.ctx` (tests), the same handlers over that context.
 */
async function withOperations<T>(
  io: CliIo,
  json: boolean,
  deps: ClusterCommandDeps,
  fn: (ops: OperationHandlers) => Promise<T>,
): Promise<T> {
  const follow = async (events: EventHub, ops: OperationHandlers): Promise<T> => {
    const print = progressPrinter(io, json);
    const stop = events.subscribe((event, payload) => {
      if (event === 'onDidUpdateStep') {
        const u = payload as StepUpdate;
        print({
          stepId: u.stepId,
          machine: u.machine ?? '',
          title: u.title ?? '',
          // The executor never reports `pending`: updates carry what it emitted.
          state: u.state as StepEvent['state'],
          ...(u.line !== null ? { line: u.line } : {}),
        });
      }
    });
    try {
      return await fn(ops);
    } finally {
      stop();
    }
  };
  if (deps.ctx) {
    const ctx = deps.ctx;
    const events = createEventHub();
    const ops = createOperationsService({
      home: ctx.home,
      events,
      // Operations connect through `ctx`; the sessions-only handlers (networks, pre-flight) are not asked for here.
      machines: {
        connect: async (machine) =>
          err('machines.unknown', `no session to ${machine} outside the operation's context`, 'Report this as a bug.'),
      },
      now: Date.now,
      onClustersChanged: async () => {},
      context: ctx,
    });
    return follow(events, ops);
  }
  return withService(deps, (service) => follow(service.events, service.handlers));
}

/** Runs `fn` with the service's operations context: the machines as added, the journal in the state folder. */
async function withContext<T>(
  io: CliIo,
  json: boolean,
  deps: ClusterCommandDeps,
  fn: (ctx: OpsContext) => Promise<T>,
): Promise<T> {
  if (deps.ctx) {
    return fn(deps.ctx);
  }
  return withService(deps, (service) => fn(service.opsContext(progressPrinter(io, json))));
}

function progressPrinter(io: CliIo, json: boolean): (e: StepEvent) => void {
  return (e: StepEvent) => {
    if (e.state === 'running' && !e.line) {
      io.stderr(`… ${e.machine}: ${e.title}\n`);
    } else if (e.state !== 'running') {
      io.stderr(`${e.state.padEnd(11)} ${e.machine}: ${e.title}${e.line ? ` — ${e.line}` : ''}\n`);
    } else if (!json) {
      io.stderr(`            ${e.machine}: ${e.line}\n`);
    }
  };
}

const linkOptions = Object.fromEntries([0, 1, 2, 3, 4, 5, 6, 7].map((l) => [`link${l}`, { type: 'string' as const }]));

function linksFrom(values: Record<string, unknown>): Partial<Record<LinkNumber, string>> | undefined {
  const out: Partial<Record<LinkNumber, string>> = {};
  for (let l = 0; l < 8; l++) {
    const v = values[`link${l}`];
    if (typeof v === 'string' && v) {
      out[l as LinkNumber] = v;
    }
  }
  return Object.keys(out).length ? out : undefined;
}

/** What `--plan` and results print about a plan. */
export function planView(plan: RanPlan): object {
  return {
    op: plan.op,
    cluster: plan.cluster,
    provider: plan.provider,
    files: plan.files,
    quorum: { before: plan.before, after: plan.after },
    warnings: plan.warnings,
    steps: plan.steps.map((s) => ({ id: s.id, machine: s.machine, title: s.title })),
  };
}

function printChecks(io: CliIo, checks: readonly Check[]): void {
  for (const c of checks) {
    io.stdout(
      `${c.status.toUpperCase().padEnd(4)} ${c.id.replace('preflight.', '').padEnd(18)} ${c.subject}: ${c.measured} (${c.threshold})\n`,
    );
    if (c.hint) {
      io.stdout(`     hint: ${c.hint}\n`);
    }
  }
}

function printPlan(io: CliIo, plan: RanPlan): void {
  io.stdout(`plan: ${plan.op} ${plan.cluster} (${plan.provider})\n`);
  if (plan.before) {
    io.stdout(
      `quorum before: ${plan.before.quorum} of ${plan.before.expectedVotes} votes, can lose ${plan.before.canLose}\n`,
    );
  }
  io.stdout(
    `quorum after:  ${plan.after.quorum} of ${plan.after.expectedVotes} votes, can lose ${plan.after.canLose}\n`,
  );
  for (const [m, files] of Object.entries(plan.files)) {
    io.stdout(`changes on ${m}: ${files.join(', ')}\n`);
  }
  plan.steps.forEach((s, i) => io.stdout(`${String(i + 1).padStart(3)}. ${s.machine}: ${s.title}\n`));
  for (const w of plan.warnings) {
    io.stdout(`warning: ${w}\n`);
  }
}

/** Print a refused or failed operation; returns the exit code. */
function reportError(io: CliIo, json: boolean, r: { error: QuorateError }): number {
  {
    let checks: unknown;
    if (r.error.code === 'preflight.failed' && r.error.cause) {
      try {
        checks = (JSON.parse(r.error.cause) as { checks: unknown }).checks;
      } catch {
        checks = undefined;
      }
    }
    if (json) {
      io.stdout(
        `${JSON.stringify({ ok: false, error: { code: r.error.code, message: r.error.message, hint: cliHintOf(r.error) }, ...(checks ? { checks } : {}) })}\n`,
      );
    } else {
      if (Array.isArray(checks)) {
        printChecks(
          io,
          (checks as Check[]).filter((c) => c.status !== 'pass'),
        );
      }
      printError(io, r.error);
    }
    return 1;
  }
}

/** Print an operation's outcome; returns the exit code. */
function report(io: CliIo, json: boolean, r: Result<OpResult>, planOnly: boolean, extra: object = {}): number {
  if (!r.ok) {
    return reportError(io, json, r);
  }
  const { plan, outcome, preflight } = r.value;
  if (planOnly) {
    if (json) {
      io.stdout(`${JSON.stringify({ ok: true, plan: planView(plan), ...(preflight ? { preflight } : {}) })}\n`);
    } else {
      if (preflight) {
        printChecks(
          io,
          preflight.checks.filter((c) => c.status !== 'pass'),
        );
      }
      printPlan(io, plan);
    }
    return 0;
  }
  return reportRan(io, json, plan, outcome?.journal.state, outcome?.resumed ?? false, extra);
}

/** Print what a run reported (the run itself returned; its journal says how far it got). */
function reportRan(
  io: CliIo,
  json: boolean,
  plan: RanPlan,
  state: string | undefined,
  resumed: boolean,
  extra: object = {},
): number {
  const verified = state === 'done';
  const rolledBack = state === 'rolled-back';
  if (json) {
    io.stdout(
      `${JSON.stringify({ ok: verified || rolledBack, verified, resumed, state, plan: planView(plan), ...extra })}\n`,
    );
  } else {
    for (const w of plan.warnings) {
      io.stdout(`warning: ${w}\n`);
    }
    io.stdout(
      rolledBack
        ? `${plan.op} ${plan.cluster}: rolled back\n`
        : `${plan.op} ${plan.cluster}: done and verified${resumed ? ' (resumed an interrupted run)' : ''}\n`,
    );
  }
  return verified || rolledBack ? 0 : 1;
}

/** Print the outcome of the service's `runPlan`; returns the exit code. */
function reportOutcome(
  io: CliIo,
  json: boolean,
  r: Result<RunOutcome>,
  extra: (report: RunReport) => object = () => ({}),
): number {
  if (!r.ok) {
    return reportError(io, json, r);
  }
  const rep = r.value.report;
  if (!rep) {
    // ops returned an error (refused, or stopped at a step): the same error as it gave.
    return reportError(io, json, {
      error: r.value.error ?? { code: 'ops.bug', message: 'the run reported nothing', hint: 'Report this as a bug.' },
    });
  }
  return reportRan(io, json, rep.plan, rep.journalState ?? undefined, rep.resumed, extra(rep));
}

export async function runPreflightCommand(argv: string[], io: CliIo, deps: ClusterCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...linkOptions, json: { type: 'boolean', default: false } },
  });
  if (positionals.length === 0) {
    throw new UsageError('preflight: expected one or more ADDR');
  }
  const r = await withContext(io, values.json, deps, (ctx) => preflightMachines(ctx, positionals, linksFrom(values)));
  if (!r.ok) {
    if (values.json) {
      io.stdout(`${JSON.stringify({ ok: false, checks: [], error: cliError(r.error) })}\n`);
    } else {
      printError(io, r.error);
    }
    return 1;
  }
  if (values.json) {
    io.stdout(`${JSON.stringify({ ok: r.value.ok, checks: r.value.checks })}\n`);
  } else {
    printChecks(io, r.value.checks);
    io.stdout(r.value.ok ? 'pre-flight passed\n' : 'pre-flight FAILED\n');
  }
  return r.value.ok ? 0 : 1;
}

const opFlags = {
  plan: { type: 'boolean' as const, default: false },
  json: { type: 'boolean' as const, default: false },
  rollback: { type: 'boolean' as const, default: false },
};

export async function runCreateCommand(argv: string[], io: CliIo, deps: ClusterCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...opFlags, ...linkOptions, node: { type: 'string', multiple: true } },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) {
    throw new UsageError('create: expected exactly one NAME');
  }
  if (!values.node?.length) {
    throw new UsageError('create: pass --node ADDR for each machine (the first founds the cluster)');
  }
  const links = linksFrom(values);
  const r = await withContext(io, values.json, deps, (ctx) =>
    createCluster(ctx, {
      name,
      machines: values.node!,
      ...(links ? { links } : {}),
      planOnly: values.plan,
      rollback: values.rollback,
    }),
  );
  return report(io, values.json, r, values.plan);
}

export async function runJoinCommand(argv: string[], io: CliIo, deps: ClusterCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...opFlags, ...linkOptions, node: { type: 'string', multiple: true } },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) {
    throw new UsageError('join: expected exactly one NAME');
  }
  if (!values.node?.length) {
    throw new UsageError('join: pass --node ADDR');
  }
  const links = linksFrom(values);
  const r = await withContext(io, values.json, deps, (ctx) =>
    joinCluster(ctx, {
      name,
      machines: values.node!,
      ...(links ? { links } : {}),
      planOnly: values.plan,
      rollback: values.rollback,
    }),
  );
  return report(io, values.json, r, values.plan);
}

export async function runRemoveCommand(argv: string[], io: CliIo, deps: ClusterCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...opFlags,
      node: { type: 'string' },
      qdevice: { type: 'string' },
      force: { type: 'boolean', default: false },
      confirm: { type: 'string' },
    },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) {
    throw new UsageError('remove: expected exactly one NAME');
  }
  if (!values.node) {
    throw new UsageError('remove: pass --node NODENAME');
  }
  const qdevice = values.qdevice;
  if (qdevice !== undefined && qdevice !== 'keep-lms' && qdevice !== 'remove') {
    throw new UsageError(`remove --qdevice: expected keep-lms or remove, got "${qdevice}"`);
  }
  // --force is the consent (as the window's checkbox); --confirm NAME, when given, must match.
  const r = await withContext(io, values.json, deps, (ctx) =>
    removeNode(ctx, {
      name,
      node: values.node!,
      ...(values.force ? { forceConfirm: values.confirm ?? name } : {}),
      ...(qdevice ? { qdevice } : {}),
      planOnly: values.plan,
      rollback: values.rollback,
    }),
  );
  return report(io, values.json, r, values.plan);
}

export async function runQdeviceCommand(argv: string[], io: CliIo, deps: ClusterCommandDeps = {}): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'setup') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        ...opFlags,
        host: { type: 'string' },
        algorithm: { type: 'string' },
        yes: { type: 'boolean', default: false },
      },
    });
    const name = positionals[0];
    if (!name || positionals.length > 1) {
      throw new UsageError('qdevice setup: expected exactly one NAME');
    }
    if (!values.host) {
      throw new UsageError('qdevice setup: pass --host ADDR (the machine that runs corosync-qnetd)');
    }
    if (values.algorithm !== undefined && values.algorithm !== 'ffsplit' && values.algorithm !== 'lms') {
      throw new UsageError('qdevice setup: --algorithm is ffsplit or lms');
    }
    const r = await withContext(io, values.json, deps, (ctx) =>
      setupQdevice(ctx, {
        name,
        host: values.host!,
        ...(values.algorithm ? { algorithm: values.algorithm as 'ffsplit' | 'lms' } : {}),
        consent: values.yes,
        planOnly: values.plan,
        rollback: values.rollback,
      }),
    );
    return report(io, values.json, r, values.plan);
  }
  if (sub === 'remove') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: opFlags });
    const name = positionals[0];
    if (!name || positionals.length > 1) {
      throw new UsageError('qdevice remove: expected exactly one NAME');
    }
    const r = await withContext(io, values.json, deps, (ctx) =>
      removeQdevice(ctx, {
        name,
        planOnly: values.plan,
        rollback: values.rollback,
      }),
    );
    return report(io, values.json, r, values.plan);
  }
  throw new UsageError('qdevice: expected "setup" or "remove"');
}

/** `quorate link NAME --linkN CIDR [--priority P] [--plan] [--json]`: add or change one redundant link. */
export async function runLinkCommand(argv: string[], io: CliIo, deps: ClusterCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...opFlags, ...linkOptions, priority: { type: 'string' } },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) {
    throw new UsageError('link: expected exactly one NAME');
  }
  const links = Object.entries(linksFrom(values) ?? {});
  if (links.length !== 1) {
    throw new UsageError('link: pass exactly one --linkN CIDR (the network of that link)');
  }
  const [l, cidr] = links[0]!;
  const priority = values.priority === undefined ? undefined : Number(values.priority);
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 0 || priority > 255)) {
    throw new UsageError('link: --priority is 0..255');
  }
  const r = await withContext(io, values.json, deps, (ctx) =>
    changeLink(ctx, {
      name,
      link: Number(l) as LinkNumber,
      cidr,
      ...(priority !== undefined ? { priority } : {}),
      planOnly: values.plan,
      rollback: values.rollback,
    }),
  );
  return report(io, values.json, r, values.plan);
}

export async function runExpectedCommand(argv: string[], io: CliIo, deps: ClusterCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { votes: { type: 'string' }, confirm: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) {
    throw new UsageError('expected: expected exactly one NAME');
  }
  const votes = Number(values.votes);
  if (!Number.isInteger(votes) || votes < 1) {
    throw new UsageError('expected: --votes must be a positive integer');
  }
  if (values.confirm === undefined) {
    throw new UsageError(`expected: type the cluster name to confirm: --confirm ${name}`);
  }
  const r = await withOperations(io, values.json, deps, async (ops) => {
    const planned = await ops.planSetExpected({ cluster: name, votes, confirm: values.confirm! });
    return planned.ok ? ops.runPlan({ planId: planned.value.id }) : planned;
  });
  return reportOutcome(io, values.json, r, (rep) =>
    rep.expected ? { expectedVotes: rep.expected.expectedVotes, quorate: rep.expected.quorate } : {},
  );
}

/** The fixed `status --json` shape: QDevice flags as a list, nodes without their machine. */
export function statusJson(v: ClusterSnapshot): object {
  return {
    quorate: v.quorate,
    expectedVotes: v.expectedVotes,
    totalVotes: v.totalVotes,
    quorum: v.quorum,
    nodes: v.nodes.map((n) => ({ name: n.name, nodeid: n.nodeid, votes: n.votes, online: n.online })),
    qdevice: v.qdevice ? { host: v.qdevice.host, flags: flagList(v.qdevice.flags) } : null,
  };
}

/** `A,V,NMW` → `['A', 'V', 'NMW']`; '' (no QDevice column) → []. */
function flagList(flags: string): string[] {
  return flags.split(',').filter((f) => f !== '');
}

/**
 * `quorate status NAME [--json]`: the service's one-shot reader (the window's first snapshot), which
 * reads corosync on the first member that answers over SSH — no agent needed (service-status.ts says why).
 */
export async function runStatusCommand(argv: string[], io: CliIo, deps: ClusterCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) {
    throw new UsageError('status: expected exactly one NAME');
  }
  const read = (status: StatusService) => status.readClusterStatus({ cluster: name });
  const r = deps.ctx
    ? await read(createStatusService({ context: () => deps.ctx!, now: Date.now }))
    : await withService(deps, (service) => read(service.handlers));
  if (!r.ok) {
    if (values.json) {
      io.stdout(`${JSON.stringify({ ok: false, error: cliError(r.error) })}\n`);
    } else {
      printError(io, r.error);
    }
    return 1;
  }
  const v = r.value;
  if (values.json) {
    io.stdout(`${JSON.stringify(statusJson(v))}\n`);
  } else {
    io.stdout(
      `Cluster ${v.clusterName} (read from ${v.readFrom})\nQuorate: ${v.quorate ? 'Yes' : 'No'}\nExpected votes: ${v.expectedVotes}\nTotal votes: ${v.totalVotes}\nQuorum: ${v.quorum}\n\nMembership\n`,
    );
    for (const n of v.nodes) {
      io.stdout(`  ${String(n.nodeid).padStart(3)}  ${n.votes}  ${n.online ? 'online ' : 'OFFLINE'}  ${n.name}\n`);
    }
    if (v.qdevice) {
      const flags = flagList(v.qdevice.flags);
      io.stdout(`\nQDevice on ${v.qdevice.host}: ${flags.join(',') || '(no flags)'}\n`);
      for (const f of flags) {
        io.stdout(`  ${f.padEnd(3)} ${QDEVICE_FLAG_MEANINGS[f] ?? ''}\n`);
      }
    }
  }
  // Exit 0 means "status read"; whether it is quorate is in the output (scripts read `quorate`).
  return 0;
}
