/** expected: the emergency lever (`corosync-quorumtool -e`), runtime only. */
import { err, ok, type Result } from '../result';
import { planExpected } from './plans';
import { withLock } from './lock.fs';
import { execute, readClusterState, withRunners, type OpResult, type OpsContext } from './run';
export async function setExpected(
  ctx: OpsContext,
  req: { name: string; votes: number; confirm: string },
): Promise<Result<OpResult & { status: { quorate: boolean; expectedVotes: number } | null }>> {
  return withLock(ctx.home, req.name, `expected ${req.votes} (${req.name})`, () =>
    withRunners(ctx, async (runners) => {
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
      if (!plan.ok) {
        return plan;
      }
      // Runtime-only: no journal to resume, but the same executor (and its failure reporting).
      const r = await execute(ctx, runners, plan.value, false);
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
          `expected votes on ${state.value.readFrom} are ${status.expectedVotes}, not ${req.votes}`,
          'corosync refused the value (it never goes below the votes present); check `corosync-quorumtool -s`.',
        );
      }
      return ok({ plan: plan.value, outcome: r.value, status });
    }),
  );
}
