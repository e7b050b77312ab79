/** expected: the emergency lever (`corosync-quorumtool -e`), runtime only. */
import { err, ok, type Result } from '../result';
import type { Plan } from './plan';
import { planExpected } from './plans';
import { withLock } from './lock.fs';
import { execute, readClusterState, withRunners, type OpResult, type OpsContext, type Runners } from './run';

interface ExpectedRequest {
  readonly name: string;
  readonly votes: number;
  readonly confirm: string;
  /** Only read the cluster and plan (no lock: nothing changes). */
  readonly planOnly?: boolean;
}

async function planFor(
  ctx: OpsContext,
  runners: Runners,
  req: ExpectedRequest,
): Promise<Result<{ plan: Plan; readFrom: string }>> {
  const state = await readClusterState(ctx, runners, req.name);
  if (!state.ok) {
    return state;
  }
  const plan = planExpected({
    before: state.value.spec,
    votes: req.votes,
    confirm: req.confirm,
    machine: state.value.readFrom,
    provider: state.value.record.provider,
  });
  return plan.ok ? ok({ plan: plan.value, readFrom: state.value.readFrom }) : plan;
}

export async function setExpected(
  ctx: OpsContext,
  req: ExpectedRequest,
): Promise<Result<OpResult & { status: { quorate: boolean; expectedVotes: number } | null }>> {
  if (req.planOnly) {
    return withRunners(ctx, async (runners) => {
      const p = await planFor(ctx, runners, req);
      return p.ok ? ok({ plan: p.value.plan, status: null }) : p;
    });
  }
  return withLock(ctx.home, req.name, `expected ${req.votes} (${req.name})`, () =>
    withRunners(ctx, async (runners) => {
      const planned = await planFor(ctx, runners, req);
      if (!planned.ok) {
        return planned;
      }
      const { plan, readFrom } = planned.value;
      // Runtime-only: no journal to resume, but the same executor (and its failure reporting).
      const r = await execute(ctx, runners, plan, false);
      if (!r.ok) {
        return r;
      }
      const after = await readClusterState(ctx, runners, req.name);
      const vq = after.ok ? after.value.status?.votequorum : undefined;
      const status =
        after.ok && after.value.status && vq
          ? { quorate: after.value.status.quorate, expectedVotes: vq.expectedVotes }
          : null;
      if (status && status.expectedVotes !== req.votes) {
        return err(
          'ops.verify-failed',
          `expected votes on ${readFrom} are ${status.expectedVotes}, not ${req.votes}`,
          'corosync refused the value (it never goes below the votes present); check `corosync-quorumtool -s`.',
        );
      }
      return ok({ plan, outcome: r.value, status });
    }),
  );
}
