/** qdevice setup / remove. */
import { err, ok, type Result } from '../result';
import type { QdeviceAlgorithm } from '../model/cluster';
import { planQdeviceRemove, planQdeviceSetup } from './plans';
import { loadCluster, saveCluster } from './registry.fs';
import {
  execute,
  onlineNames,
  readClusterState,
  resumeIfUnfinished,
  withRunners,
  type OpResult,
  type OpsContext,
} from './run';
export interface QdeviceSetupRequest {
  readonly name: string;
  readonly host: string;
  readonly algorithm?: QdeviceAlgorithm;
  readonly consent?: boolean;
  readonly planOnly?: boolean;
  readonly rollback?: boolean;
}

export async function setupQdevice(ctx: OpsContext, req: QdeviceSetupRequest): Promise<Result<OpResult>> {
  return withRunners(ctx, async (runners) => {
    if (!req.planOnly) {
      const resumed = await resumeIfUnfinished(
        ctx,
        runners,
        'qdevice-setup',
        req.name,
        req.rollback ?? false,
        `qdevice setup ${req.host}`,
      );
      if (resumed) {
        return finishQdevice(ctx, resumed, req.name, req.host);
      }
    }
    const state = await readClusterState(ctx, runners, req.name);
    if (!state.ok) {
      return state;
    }
    const online = onlineNames(state.value);
    // Check before changing anything (pvecm does not, and fails half-way).
    const offline = state.value.spec.nodes.filter((n) => !online.includes(n.name)).map((n) => n.name);
    if (offline.length) {
      return err(
        'ops.qdevice-nodes-offline',
        `node(s) ${offline.join(', ')} of ${req.name} are not online`,
        'Every node must be up to receive the QDevice certificates; start them and retry.',
      );
    }
    const q = await runners.get(req.host);
    if (!q.ok) {
      return err(q.error.code, `could not reach the qnetd host ${req.host}: ${q.error.message}`, q.error.hint);
    }
    const missing: string[] = [];
    const hasQnetd = await q.value.run(
      'command -v corosync-qnetd >/dev/null && command -v corosync-qnetd-certutil >/dev/null',
      { timeoutMs: 10_000 },
    );
    if (!hasQnetd.ok || hasQnetd.value.exitCode !== 0) {
      missing.push(`${req.host}: corosync-qnetd (apt install corosync-qnetd)`);
    }
    for (const n of state.value.spec.nodes) {
      const r = await runners.get(n.machine!);
      const has = r.ok
        ? await r.value.run(
            'command -v corosync-qdevice >/dev/null && command -v corosync-qdevice-net-certutil >/dev/null',
            { timeoutMs: 10_000 },
          )
        : null;
      if (!has || !has.ok || has.value.exitCode !== 0) {
        missing.push(`${n.name}: corosync-qdevice (apt install corosync-qdevice)`);
      }
    }
    if (missing.length) {
      return err(
        'ops.qdevice-missing-packages',
        `missing packages: ${missing.join('; ')}`,
        'Install them first; nothing was changed.',
      );
    }
    const plan = planQdeviceSetup({
      before: state.value.spec,
      host: req.host,
      qnetdMachine: req.host,
      provider: state.value.record.provider,
      ...(req.algorithm ? { algorithm: req.algorithm } : {}),
      ...(req.consent ? { consent: true } : {}),
    });
    if (!plan.ok) {
      return plan;
    }
    if (req.planOnly) {
      return ok({ plan: plan.value });
    }
    const r = await execute(ctx, runners, { ...plan.value, request: `qdevice setup ${req.host}` }, false);
    if (!r.ok) {
      return r;
    }
    return finishQdevice(ctx, ok({ plan: plan.value, outcome: r.value }), req.name, req.host);
  });
}

async function finishQdevice(
  ctx: OpsContext,
  r: Result<OpResult>,
  name: string,
  host: string | null,
): Promise<Result<OpResult>> {
  if (!r.ok || r.value.outcome?.journal.state !== 'done') {
    return r;
  }
  const record = await loadCluster(name, ctx.home);
  if (!record) {
    return r;
  }
  const { qnetd: _q, ...rest } = record;
  await saveCluster(host ? { ...rest, qnetd: { machine: host, host } } : rest, ctx.home);
  return r;
}

export async function removeQdevice(
  ctx: OpsContext,
  req: { name: string; planOnly?: boolean; rollback?: boolean },
): Promise<Result<OpResult>> {
  return withRunners(ctx, async (runners) => {
    if (!req.planOnly) {
      const resumed = await resumeIfUnfinished(
        ctx,
        runners,
        'qdevice-remove',
        req.name,
        req.rollback ?? false,
        'qdevice remove',
      );
      if (resumed) {
        return finishQdevice(ctx, resumed, req.name, null);
      }
    }
    const state = await readClusterState(ctx, runners, req.name);
    if (!state.ok) {
      return state;
    }
    const plan = planQdeviceRemove({ before: state.value.spec, provider: state.value.record.provider });
    if (!plan.ok) {
      return plan;
    }
    if (req.planOnly) {
      return ok({ plan: plan.value });
    }
    const r = await execute(ctx, runners, { ...plan.value, request: 'qdevice remove' }, false);
    if (!r.ok) {
      return r;
    }
    return finishQdevice(ctx, ok({ plan: plan.value, outcome: r.value }), req.name, null);
  });
}
