/**
 * `quorate preflight|create|join|remove|qdevice|expected|status`: cluster operations from a terminal
 * (what they print: cluster-output.ts; `status`, which changes nothing: status-command.ts).
 * JSON shapes are fixed (scripts depend on them; see issue 4 §3). Exit 0 only when the operation was
 * verified against what corosync reports; 1 on a refused or failed operation; 2 on usage errors.
 */
import { parseArgs } from 'node:util';
import type { LinkNetwork, OperationPlan, RunOutcome, StepUpdate, UnfinishedParams } from '../api/contract';
import { createEventHub, type EventHub } from '../api/event-hub';
import { createOperationsService, type OperationsService, type OpsContext } from '../api/service-ops';
import type { Result } from '../result';
import { err } from '../result';
import { planView, printChecks, printPlan, progressPrinter, reportError, reportOutcome } from './cluster-output';
import type { CliIo } from './io';
import { cliError, printError, UsageError } from './io';
import type { CliServiceOptions } from './service';
import { withService } from './service';

export { planView } from './cluster-output';
export { runStatusCommand, statusJson } from './status-command';

export interface ClusterCommandDeps extends CliServiceOptions {
  /** Replaces the service's context (tests); default: the service's, over the machines in the state folder. */
  readonly ctx?: OpsContext;
}

/** The service's operation handlers the CLI calls (the window calls the same over the RPC). */
type OperationHandlers = OperationsService;

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
          machine: u.machine ?? '',
          title: u.title ?? '',
          state: u.state,
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

const linkOptions = Object.fromEntries([0, 1, 2, 3, 4, 5, 6, 7].map((l) => [`link${l}`, { type: 'string' as const }]));

/** `--linkN VALUE` flags, by link number (a network, or for a single machine its address). */
function linkNetworks(values: Record<string, unknown>): LinkNetwork[] {
  const out: LinkNetwork[] = [];
  for (let l = 0; l < 8; l++) {
    const v = values[`link${l}`];
    if (typeof v === 'string' && v) {
      out.push({ linknumber: l as LinkNetwork['linknumber'], network: v });
    }
  }
  return out;
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
  const r = await withOperations(io, values.json, deps, (ops) =>
    ops.runPreflight({ mode: 'create', addresses: positionals, links: linkNetworks(values) }),
  );
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

interface OpFlags {
  readonly plan: boolean;
  readonly json: boolean;
  readonly rollback: boolean;
}

/**
 * One operation from the terminal, through the service: `--plan` prints the plan and stops;
 * `--rollback` undoes what an unfinished run of it left (whichever process started it); otherwise
 * the plan is made and that reviewed plan runs (an interrupted run of the same request continues).
 */
async function runOperation(
  io: CliIo,
  flags: OpFlags,
  deps: ClusterCommandDeps,
  kind: UnfinishedParams['kind'],
  cluster: string,
  planOn: (ops: OperationHandlers) => Promise<Result<OperationPlan>>,
): Promise<number> {
  const r = await withOperations(
    io,
    flags.json,
    deps,
    async (ops): Promise<{ planned: Result<OperationPlan> } | { ran: Result<RunOutcome> }> => {
      if (flags.rollback && !flags.plan) {
        return { ran: await ops.runUnfinished({ kind, cluster, rollback: true }) };
      }
      const planned = await planOn(ops);
      if (!planned.ok || flags.plan) {
        return { planned };
      }
      return { ran: await ops.runPlan({ planId: planned.value.id }) };
    },
  );
  if ('ran' in r) {
    return reportOutcome(io, flags.json, r.ran);
  }
  if (!r.planned.ok) {
    return reportError(io, flags.json, r.planned);
  }
  const { ran, preflight } = r.planned.value;
  if (!ran) {
    return reportError(io, flags.json, {
      error: { code: 'ops.bug', message: 'the plan came without its engine view', hint: 'Report this as a bug.' },
    });
  }
  if (flags.json) {
    io.stdout(`${JSON.stringify({ ok: true, plan: planView(ran), ...(preflight ? { preflight } : {}) })}\n`);
  } else {
    if (preflight) {
      printChecks(
        io,
        preflight.checks.filter((c) => c.status !== 'pass'),
      );
    }
    printPlan(io, ran);
  }
  return 0;
}

/** `create` and `join` take the same flags: NAME, `--node ADDR` per machine, `--linkN`. */
function parseMachinesCommand(
  verb: 'create' | 'join',
  argv: string[],
  nodeUsage: string,
): { flags: OpFlags; name: string; nodes: string[]; links: LinkNetwork[] } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...opFlags, ...linkOptions, node: { type: 'string', multiple: true } },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) {
    throw new UsageError(`${verb}: expected exactly one NAME`);
  }
  if (!values.node?.length) {
    throw new UsageError(`${verb}: ${nodeUsage}`);
  }
  return { flags: values, name, nodes: values.node, links: linkNetworks(values) };
}

export async function runCreateCommand(argv: string[], io: CliIo, deps: ClusterCommandDeps = {}): Promise<number> {
  const { flags, name, nodes, links } = parseMachinesCommand(
    'create',
    argv,
    'pass --node ADDR for each machine (the first founds the cluster)',
  );
  return runOperation(io, flags, deps, 'cluster.create', name, (ops) =>
    ops.planCreateCluster({ name, nodes: nodes.map((address) => ({ address })), links }),
  );
}

export async function runJoinCommand(argv: string[], io: CliIo, deps: ClusterCommandDeps = {}): Promise<number> {
  const { flags, name, nodes, links } = parseMachinesCommand('join', argv, 'pass --node ADDR');
  return runOperation(io, flags, deps, 'cluster.join', name, (ops) =>
    ops.planJoinCluster({ cluster: name, addresses: nodes, ...(links.length ? { links } : {}) }),
  );
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
  const node = values.node;
  // --force is the consent (as the window's checkbox); --confirm NAME, when given, must match.
  return runOperation(io, values, deps, 'cluster.remove', name, (ops) =>
    ops.planRemoveNode({
      cluster: name,
      node,
      force: values.force,
      ...(values.confirm !== undefined ? { confirm: values.confirm } : {}),
      ...(qdevice ? { qdevice } : {}),
    }),
  );
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
    const host = values.host;
    if (!host) {
      throw new UsageError('qdevice setup: pass --host ADDR (the machine that runs corosync-qnetd)');
    }
    const algorithm = values.algorithm;
    if (algorithm !== undefined && algorithm !== 'ffsplit' && algorithm !== 'lms') {
      throw new UsageError('qdevice setup: --algorithm is ffsplit or lms');
    }
    return runOperation(io, values, deps, 'qdevice.setup', name, (ops) =>
      ops.planSetupQdevice({
        cluster: name,
        host,
        ...(algorithm ? { algorithm } : {}),
        consentOddCount: values.yes,
      }),
    );
  }
  if (sub === 'remove') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: opFlags });
    const name = positionals[0];
    if (!name || positionals.length > 1) {
      throw new UsageError('qdevice remove: expected exactly one NAME');
    }
    return runOperation(io, values, deps, 'qdevice.remove', name, (ops) => ops.planRemoveQdevice({ cluster: name }));
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
  const links = linkNetworks(values);
  if (links.length !== 1) {
    throw new UsageError('link: pass exactly one --linkN CIDR (the network of that link)');
  }
  const { linknumber, network } = links[0]!;
  const priority = values.priority === undefined ? undefined : Number(values.priority);
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 0 || priority > 255)) {
    throw new UsageError('link: --priority is 0..255');
  }
  return runOperation(io, values, deps, 'cluster.link', name, (ops) =>
    ops.planChangeLink({ cluster: name, linknumber, network, ...(priority !== undefined ? { priority } : {}) }),
  );
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
