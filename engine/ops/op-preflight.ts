/** `quorate preflight`: the report for a would-be cluster of these machines. */
import { ok, type Result } from '../result';
import type { LinkNumber } from '../model/cluster';
import { runPreflight } from '../preflight/checks';
import type { PreflightReport } from '../preflight/types';
import { gatherPreflightInput } from './preflight-gather.ssh';
import { agentOptions, connectAll, withRunners, type OpsContext } from './run';
/** `quorate preflight ADDR… [--link0 CIDR]`: the report for a would-be cluster of these machines. */
export async function preflightMachines(
  ctx: OpsContext,
  machines: readonly string[],
  linkCidrs?: Partial<Record<LinkNumber, string>>,
): Promise<Result<PreflightReport>> {
  return withRunners(ctx, async (runners) => {
    const conn = await connectAll(runners, machines);
    if (!conn.ok) {
      return conn;
    }
    const g = await gatherPreflightInput({
      mode: 'create',
      machines: machines.map((m) => ({ machine: m, runner: conn.value.get(m)! })),
      ...(linkCidrs ? { linkCidrs } : {}),
      ...agentOptions(ctx),
    });
    if (!g.ok) {
      return g;
    }
    return ok(runPreflight(g.value.input));
  });
}
