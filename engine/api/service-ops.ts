/**
 * Pre-flight and operations in the API, adapting `engine/bootstrap` and `engine/ops`: the one
 * place these use cases live (the window calls them over the RPC, the CLI in its own process).
 * `plan*` methods ask ops for the plan only (nothing changes on any machine) and remember it under a
 * plan id; `runPlan` runs that reviewed plan (ops re-checks cheaply that the cluster did not move,
 * under the cluster's lock). An operation an earlier run left unfinished is continued instead: by
 * `plan*` when its own plan cannot be made on the half-changed cluster, or by `runUnfinished`.
 */
import { randomUUID } from 'node:crypto';
import type { LinkNumber } from '../model/cluster';
import type { ExecuteOutcome, StepEvent } from '../ops/executor';
import { fileJournalStore } from '../ops/journal.fs';
import { isUnfinished, opIdOf } from '../ops/journal';
import type { OpResult, OpsContext } from '../ops/operations';
import {
  changeLink,
  createCluster,
  joinCluster,
  removeNode,
  removeQdevice,
  setExpected,
  setupQdevice,
} from '../ops/operations';
import type { Plan } from '../ops/plan';
import { otherUnfinished, runReviewed } from '../ops/run';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { OperationKind, OperationPlan, QuorateApi, RanPlan, RunOutcome, RunReport, StepState } from './contract';
import { findUnfinishedJournal, opOf, unfinishedPlanId } from './unfinished-view';
import type { EventHub } from './event-hub';
import { stepUpdateOf } from './step-update';
import { createPreflightHandlers, linkCidrs, measuredPreflight, type PreflightService } from './service-preflight';
import type { MachinesService } from './service-machines';

/** What the handlers run operations over (`OperationsDeps.context`: the CLI's tests and labs pass one). */
export type { OpsContext } from '../ops/operations';

export interface OperationsDeps {
  readonly home: string;
  readonly events: EventHub;
  readonly machines: Pick<MachinesService, 'connect'>;
  readonly now: () => number;
  /** Replaces the context built from `machines` and `home` (the CLI's tests pass a lab's). */
  readonly context?: OpsContext;
  /** Called after an operation changed which clusters exist or who is in them. */
  readonly onClustersChanged: () => Promise<void>;
}

/** The contract's Bootstrap, Preflight and Operations members, as this service implements them. */
export type OperationsService = PreflightService &
  Pick<
    QuorateApi,
    | 'planCreateCluster'
    | 'planJoinCluster'
    | 'planRemoveNode'
    | 'planSetupQdevice'
    | 'planRemoveQdevice'
    | 'planChangeLink'
    | 'planSetExpected'
    | 'runPlan'
    | 'resumePlan'
    | 'rollBackPlan'
    | 'runUnfinished'
    | 'findUnfinished'
  >;

/**
 * How ops is asked: `planOnly` for the plan without changing anything; otherwise it runs under the
 * cluster's lock, continuing its unfinished journal first (`rollback`: undoing it instead;
 * `resumeOnly`: nothing new planned when there is none).
 */
interface How {
  readonly planOnly?: boolean;
  readonly rollback?: boolean;
  readonly resumeOnly?: boolean;
}

/** Calls the ops operation with the request the user made. */
type Runner = (ctx: OpsContext, how: How) => Promise<Result<OpResult & { readonly status?: RunReport['expected'] }>>;

interface Pending {
  readonly kind: OperationKind;
  readonly cluster: string;
  /**
   * Runs the reviewed plan itself (ops re-checks only that the cluster did not move meanwhile, and
   * resumes its own unfinished journal); with `rollback`, undoes that journal instead.
   */
  readonly run: (ctx: OpsContext, rollback: boolean) => ReturnType<Runner>;
  /** What the user reviewed; absent for `runUnfinished` of a journal that is not there. */
  readonly plan?: Plan;
}

export function createOperationsService(deps: OperationsDeps): OperationsService {
  const pending = new Map<string, Pending>();
  /** Runs that stopped with their journal unfinished, by plan id: the window offers Resume and Roll back. */
  const unfinished = new Map<string, Pending>();
  const base: OpsContext = deps.context ?? {
    connect: (machine) => deps.machines.connect(machine),
    home: deps.home,
    journal: fileJournalStore(deps.home),
  };
  const context = (onEvent?: (e: StepEvent) => void): OpsContext =>
    onEvent
      ? {
          ...base,
          onEvent: (e) => {
            base.onEvent?.(e);
            onEvent(e);
          },
        }
      : base;

  const measured = measuredPreflight(deps.now);

  const plan = async (
    kind: OperationKind,
    cluster: string,
    run: Runner,
    instructions: readonly string[] = [],
  ): Promise<Result<OperationPlan>> => {
    const r = await run(context(), { planOnly: true });
    if (!r.ok) {
      // A plan cannot be made on a cluster an interrupted run left half-changed: that run is what
      // is left to do (ops continues it under the lock, for the same request only).
      return (await resumable(kind, cluster, run, instructions)) ?? r;
    }
    const reviewed = r.value.reviewed;
    if (!reviewed) {
      return err('ops.bug', `ops returned no reviewable plan for ${kind}`, 'Report this as a bug.');
    }
    const id = randomUUID();
    pending.set(id, {
      kind,
      cluster,
      run: (ctx, rollback) => (rollback ? run(ctx, { rollback: true }) : runReviewed(ctx, reviewed)),
      plan: reviewed.plan,
    });
    return ok({
      ...toOperationPlan(id, kind, reviewed.plan, instructions),
      ran: ranPlanOf(reviewed.plan),
      ...(reviewed.preflight ? { preflight: reviewed.preflight } : {}),
    });
  };

  /** The unfinished journal of `kind` on `cluster` as a plan to run (null: there is none). */
  const resumable = async (
    kind: OperationKind,
    cluster: string,
    run: Runner,
    instructions: readonly string[],
  ): Promise<Result<OperationPlan> | null> => {
    const ctx = context();
    const other = await otherUnfinished(ctx, opOf[kind], cluster);
    if (other) {
      return other;
    }
    const j = await ctx.journal.load(opIdOf({ op: opOf[kind], cluster }));
    if (!isUnfinished(j)) {
      return null;
    }
    const id = randomUUID();
    pending.set(id, { kind, cluster, run: (c, rollback) => run(c, { rollback }), plan: j.plan });
    return ok({
      ...toOperationPlan(id, kind, j.plan, instructions),
      summary: `Continue the interrupted ${j.plan.request ?? j.plan.op} of ${cluster} where it stopped (${j.state}).`,
      ran: ranPlanOf(j.plan),
      resumes: true,
    });
  };

  /** ops' operation of `kind` for `runUnfinished`: the request is the journal's own. */
  const unfinishedRunner = (kind: Exclude<OperationKind, 'expected'>, name: string): Runner => {
    switch (kind) {
      case 'cluster.create':
        return (ctx, how) => createCluster(ctx, { name, machines: [], ...how });
      case 'cluster.join':
        return (ctx, how) => joinCluster(ctx, { name, machines: [], ...how });
      case 'cluster.remove':
        return (ctx, how) => removeNode(ctx, { name, node: '', ...how });
      case 'qdevice.setup':
        return (ctx, how) => setupQdevice(ctx, { name, host: '', ...how });
      case 'qdevice.remove':
        return (ctx, how) => removeQdevice(ctx, { name, ...how });
      case 'cluster.link':
        return (ctx, how) => changeLink(ctx, { name, link: 0, ...how });
    }
  };

  return {
    ...createPreflightHandlers({ events: deps.events, now: deps.now, context }, measured),
    planCreateCluster(p) {
      const links = Object.fromEntries(p.links.map((l) => [l.linknumber, l.network])) as Partial<
        Record<LinkNumber, string>
      >;
      const machines = p.nodes.map((n) => n.address);
      const preflightInput = measured.take(machines, p.links);
      return plan('cluster.create', p.name, (ctx, how) =>
        createCluster(ctx, { name: p.name, machines, links, ...how, ...(preflightInput ? { preflightInput } : {}) }),
      );
    },
    planJoinCluster(p) {
      const links = p.links?.length ? linkCidrs(p.links) : undefined;
      return plan('cluster.join', p.cluster, (ctx, how) =>
        joinCluster(ctx, { name: p.cluster, machines: p.addresses, ...(links ? { links } : {}), ...how }),
      );
    },
    planRemoveNode(p) {
      return plan(
        'cluster.remove',
        p.cluster,
        (ctx, how) =>
          removeNode(ctx, {
            name: p.cluster,
            node: p.node,
            ...(p.force ? { forceConfirm: p.confirm ?? p.cluster } : {}),
            ...(p.qdevice ? { qdevice: p.qdevice } : {}),
            ...how,
          }),
        [
          `Power off ${p.node}, or stop corosync on it (systemctl stop corosync), before running this plan.`,
          `Do not start ${p.node} again with its old cluster configuration: reinstall it or remove /etc/corosync/corosync.conf and /etc/corosync/authkey first.`,
        ],
      );
    },
    planSetupQdevice(p) {
      return plan('qdevice.setup', p.cluster, (ctx, how) =>
        setupQdevice(ctx, {
          name: p.cluster,
          host: p.host,
          ...(p.algorithm ? { algorithm: p.algorithm } : {}),
          consent: p.consentOddCount,
          ...how,
        }),
      );
    },
    planRemoveQdevice(p) {
      return plan('qdevice.remove', p.cluster, (ctx, how) => removeQdevice(ctx, { name: p.cluster, ...how }));
    },
    planChangeLink(p) {
      return plan('cluster.link', p.cluster, (ctx, how) =>
        changeLink(ctx, {
          name: p.cluster,
          link: p.linknumber,
          cidr: p.network,
          ...(p.priority !== undefined ? { priority: p.priority } : {}),
          ...how,
        }),
      );
    },
    async planSetExpected(p) {
      // ops reads the cluster and plans the one step (the same typed-name check as the terminal's);
      // runPlan plans it again under the lock, runs it and reads back what corosync reports.
      const r = await setExpected(context(), { name: p.cluster, votes: p.votes, confirm: p.confirm, planOnly: true });
      if (!r.ok) {
        return r;
      }
      const id = randomUUID();
      pending.set(id, {
        kind: 'expected',
        cluster: p.cluster,
        run: (ctx) => setExpected(ctx, { name: p.cluster, votes: p.votes, confirm: p.confirm }),
        plan: r.value.plan,
      });
      return ok({
        ran: ranPlanOf(r.value.plan),
        ...toOperationPlan(id, 'expected', r.value.plan, [
          'Restore expected votes (or bring the missing nodes back) as soon as possible: corosync resets it at the next membership change.',
        ]),
        summary: `Set expected votes of ${p.cluster} to ${p.votes} until the next membership change (corosync-quorumtool -e ${p.votes}).`,
      });
    },

    async runPlan({ planId }) {
      const p = pending.get(planId);
      if (!p) {
        return err(
          'ops.plan-unknown',
          'That plan is no longer known to the engine (it ran already, or Quorate restarted).',
          'Plan the operation again and review it before running.',
        );
      }
      pending.delete(planId);
      return execute(planId, p, false);
    },
    resumePlan({ planId }) {
      return again(planId, false);
    },
    rollBackPlan({ planId }) {
      return again(planId, true);
    },
    async runUnfinished({ kind, cluster, rollback }) {
      // ops decides under the lock (another operation's journal unfinished, none left of this one).
      const j = await base.journal.load(opIdOf({ op: opOf[kind], cluster }));
      const run = unfinishedRunner(kind, cluster);
      const p: Pending = {
        kind,
        cluster,
        run: (ctx, back) => run(ctx, { rollback: back, resumeOnly: true }),
        ...(isUnfinished(j) ? { plan: j.plan } : {}),
      };
      return execute(unfinishedPlanId(opOf[kind], cluster), p, rollback);
    },
    findUnfinished({ cluster }) {
      // ops' own store and its isUnfinished: the journals runUnfinished and every plan* look at.
      return findUnfinishedJournal(base.journal, base.home, cluster);
    },
  };

  async function again(planId: string, rollback: boolean): Promise<Result<RunOutcome>> {
    const p = unfinished.get(planId);
    if (!p || !(await hasUnfinishedJournal(p))) {
      unfinished.delete(planId);
      return err(
        'ops.nothing-to-resume',
        'That operation has nothing left to resume or roll back (it finished, was rolled back, or Quorate restarted).',
        'Close this dialog and look at the cluster: plan the operation again if it is still needed.',
      );
    }
    unfinished.delete(planId);
    return execute(planId, p, rollback);
  }

  async function hasUnfinishedJournal(p: Pending): Promise<boolean> {
    return isUnfinished(await base.journal.load(opIdOf({ op: opOf[p.kind], cluster: p.cluster })));
  }

  /** Runs (or resumes, or rolls back) `p`, following its steps as `onDidUpdateStep` under `planId`. */
  async function execute(planId: string, p: Pending, rollback: boolean): Promise<Result<RunOutcome>> {
    const ids = (p.plan?.steps ?? []).map((s) => s.id);
    const states = new Map<string, StepState>(ids.map((id) => [id, 'pending']));
    const onEvent = (e: StepEvent): void => {
      states.set(e.stepId, e.state);
      const index = Math.max(0, ids.indexOf(e.stepId));
      deps.events.emit('onDidUpdateStep', stepUpdateOf(planId, e, index, ids.length, deps.now()));
    };
    const r = await p.run(context(onEvent), rollback);
    await deps.onClustersChanged();
    // A journaled run that stopped half-way can be resumed or rolled back from the window.
    const left = p.kind !== 'expected' && (await hasUnfinishedJournal(p));
    if (left) {
      unfinished.set(planId, p);
    }
    const steps = ids.map((id) => ({ id, state: states.get(id)! }));
    if (!r.ok) {
      return ok({ planId, ok: false, unfinished: left, steps, error: r.error });
    }
    const outcome: ExecuteOutcome | undefined = r.value.outcome;
    const done = outcome?.journal.state === 'done' || (rollback && outcome?.journal.state === 'rolled-back');
    const report: RunReport = {
      plan: ranPlanOf(r.value.plan),
      journalState: outcome?.journal.state ?? null,
      resumed: outcome?.resumed ?? false,
      ...(r.value.status !== undefined ? { expected: r.value.status } : {}),
    };
    return ok({
      planId,
      ok: done,
      unfinished: left,
      steps,
      report,
      error: done
        ? null
        : {
            code: 'ops.incomplete',
            message: `The ${p.kind} of ${p.cluster} did not complete (journal: ${outcome?.journal.state ?? 'none'}).`,
            hint: left
              ? 'Resume continues where it stopped; Roll back undoes the steps already done.'
              : 'Plan the operation again: nothing of it is left half-done.',
          },
    });
  }
}

/** A plan in the engine's terms, without its steps' actions (what the CLI prints). */
function ranPlanOf(plan: Plan): RanPlan {
  return {
    op: plan.op,
    cluster: plan.cluster,
    provider: plan.provider,
    files: plan.files,
    before: plan.before,
    after: plan.after,
    warnings: plan.warnings,
    steps: plan.steps.map((s) => ({ id: s.id, machine: s.machine, title: s.title })),
  };
}

export function toOperationPlan(
  id: string,
  kind: OperationKind,
  plan: Plan,
  instructions: readonly string[],
): OperationPlan {
  return {
    id,
    kind,
    cluster: plan.cluster,
    summary: `${plan.op} ${plan.cluster}: ${plan.steps.length} steps on ${new Set(plan.steps.map((s) => s.machine)).size} machines (${plan.provider}).`,
    files: Object.entries(plan.files).map(([machine, paths]) => ({
      machine,
      changes: paths.map((path) => ({ path, action: plan.fileActions?.[machine]?.[path] ?? ('modify' as const) })),
    })),
    steps: plan.steps.map((s) => ({ id: s.id, machine: s.machine, title: s.title })),
    before: plan.before,
    after: plan.after,
    warnings: plan.warnings,
    instructions,
  };
}
