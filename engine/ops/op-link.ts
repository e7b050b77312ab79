/** link: add or change link N on every node. */
import { err, ok, type Result } from '../result';
import type { LinkNumber } from '../model/cluster';
import { planLink } from './plans';
import { addressInCidr, ensureAgent, readFacts } from './preflight-gather.ssh';
import {
  agentOptions,
  basisOf,
  onlineNames,
  planOrRun,
  readClusterState,
  type OpResult,
  type OpsContext,
  type Reviewed,
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
  /** Only continue (or roll back) an unfinished run; plan nothing new. */
  readonly resumeOnly?: boolean;
}

/** link: add or change link N on every node (every node must be online: each gets the new file). */
export async function changeLink(ctx: OpsContext, req: LinkRequest): Promise<Result<OpResult>> {
  const request = `link${req.link}`;
  const finish: Reviewed['finish'] = async (_c, r) => r;
  return planOrRun(
    ctx,
    req.name,
    request,
    { op: 'link', ...req },
    async (runners): Promise<Result<Reviewed>> => {
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
      const machines = state.value.spec.nodes.map((n) => n.machine ?? n.name);
      const confPath = state.value.record.provider === 'pve' ? '/etc/pve/corosync.conf' : '/etc/corosync/corosync.conf';
      const basis = await basisOf(runners, machines, confPath, machines);
      if (!basis.ok) {
        return basis;
      }
      return ok({ plan: { ...plan.value, request }, basis: basis.value, finish });
    },
    finish,
  );
}
