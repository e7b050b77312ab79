/** link: add or change link N on every node. */
import { err, ok, type Result } from '../result';
import type { LinkNumber } from '../model/cluster';
import { planLink } from './plans';
import { addressInCidr, ensureAgent, readFacts } from './preflight-gather.ssh';
import {
  agentOptions,
  execute,
  onlineNames,
  readClusterState,
  resumeIfUnfinished,
  withRunners,
  type OpResult,
  type OpsContext,
} from './run';
export interface LinkRequest {
  readonly name: string;
  readonly link: LinkNumber;
  /** The network of the link (each node uses its address inside it), or explicit addresses by node name. */
  readonly cidr?: string;
  readonly addresses?: Readonly<Record<string, string>>;
  readonly priority?: number;
  readonly planOnly?: boolean;
  readonly rollback?: boolean;
}

/** link: add or change link N on every node (every node must be online: each gets the new file). */
export async function changeLink(ctx: OpsContext, req: LinkRequest): Promise<Result<OpResult>> {
  return withRunners(ctx, async (runners) => {
    if (!req.planOnly) {
      const resumed = await resumeIfUnfinished(
        ctx,
        runners,
        'link',
        req.name,
        req.rollback ?? false,
        `link${req.link}`,
      );
      if (resumed) {
        return resumed;
      }
    }
    const state = await readClusterState(ctx, runners, req.name);
    if (!state.ok) {
      return state;
    }
    const online = onlineNames(state.value);
    const offline = state.value.spec.nodes.filter((n) => !online.includes(n.name)).map((n) => n.name);
    if (offline.length) {
      return err(
        'ops.link-nodes-offline',
        `node(s) ${offline.join(', ')} of ${req.name} are not online`,
        'Every node must receive the new link; start them and retry.',
      );
    }
    const addresses: Record<string, string> = { ...(req.addresses ?? {}) };
    if (req.cidr) {
      for (const n of state.value.spec.nodes) {
        if (addresses[n.name]) {
          continue;
        }
        const r = await runners.get(n.machine!);
        if (!r.ok) {
          return r;
        }
        const agent = await ensureAgent(n.machine!, r.value, agentOptions(ctx));
        if (!agent.ok) {
          return agent;
        }
        const f = await readFacts(n.machine!, agent.value);
        agent.value.close();
        if (!f.ok) {
          return f;
        }
        const a = addressInCidr(f.value, req.cidr);
        if (!a) {
          return err(
            'ops.link-no-address',
            `${n.name} has no address in ${req.cidr}`,
            `Configure an address in ${req.cidr} on ${n.name} first.`,
          );
        }
        addresses[n.name] = a;
      }
    }
    const plan = planLink({
      before: state.value.spec,
      link: req.link,
      addresses,
      provider: state.value.record.provider,
      ...(req.priority !== undefined ? { priority: req.priority } : {}),
    });
    if (!plan.ok) {
      return plan;
    }
    if (req.planOnly) {
      return ok({ plan: plan.value });
    }
    const r = await execute(ctx, runners, { ...plan.value, request: `link${req.link}` }, false);
    return r.ok ? ok({ plan: plan.value, outcome: r.value }) : r;
  });
}
