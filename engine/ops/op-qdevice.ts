/** qdevice setup / remove. */
import { err, ok, type Result } from '../result';
import type { QdeviceAlgorithm } from '../model/cluster';
import { planQdeviceRemove, planQdeviceSetup } from './plans';
import { updateCluster } from './registry.fs';
import {
  basisOf,
  onlineNames,
  planOrRun,
  readClusterState,
  type OpResult,
  type OpsContext,
  type Reviewed,
} from './run';
export interface QdeviceSetupRequest {
  readonly name: string;
  readonly host: string;
  readonly algorithm?: QdeviceAlgorithm;
  readonly consent?: boolean;
  readonly planOnly?: boolean;
  readonly rollback?: boolean;
  /** Only continue (or roll back) an unfinished run; plan nothing new. */
  readonly resumeOnly?: boolean;
}

export async function setupQdevice(ctx: OpsContext, req: QdeviceSetupRequest): Promise<Result<OpResult>> {
  const request = `qdevice setup ${req.host}`;
  // A run resumed by kind (resumeOnly) knows its host from the request that made it.
  const finish: Reviewed['finish'] = (c, r) =>
    finishQdevice(
      c,
      r,
      req.name,
      req.host || (r.ok ? (r.value.plan.request ?? '').replace(/^qdevice setup /, '') : ''),
    );
  return planOrRun(
    ctx,
    req.name,
    request,
    { op: 'qdevice-setup', ...req },
    async (runners): Promise<Result<Reviewed>> => {
      // The qnetd host is needed whatever the cluster looks like: its connect beside the state read
      // (the same connect `runners.get` below is handed; a failure is reported there, as before).
      const qnetdConnect = runners.get(req.host);
      void qnetdConnect.catch(() => undefined);
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
      const q = await qnetdConnect;
      if (!q.ok) {
        return err(q.error.code, `could not reach the qnetd host ${req.host}: ${q.error.message}`, q.error.hint);
      }
      // The qnetd host and every node asked at once, and the plan's basis read beside (it is what the
      // plan below is made from; its errors come after the packages' and the plan's, as before).
      const machines = state.value.spec.nodes.map((n) => n.machine ?? n.name);
      const basisRead = basisOf(runners, machines, confPathOf(state.value.record.provider), machines);
      const [basis, hasQnetd, ...hasQdevice] = await Promise.all([
        basisRead,
        q.value.run('command -v corosync-qnetd >/dev/null && command -v corosync-qnetd-certutil >/dev/null', {
          timeoutMs: 10_000,
        }),
        ...state.value.spec.nodes.map(async (n) => {
          const r = await runners.get(n.machine!);
          return r.ok
            ? await r.value.run(
                'command -v corosync-qdevice >/dev/null && command -v corosync-qdevice-net-certutil >/dev/null',
                { timeoutMs: 10_000 },
              )
            : null;
        }),
      ]);
      const missing: string[] = [];
      if (!hasQnetd || !hasQnetd.ok || hasQnetd.value.exitCode !== 0) {
        missing.push(`${req.host}: corosync-qnetd (apt install corosync-qnetd)`);
      }
      state.value.spec.nodes.forEach((n, i) => {
        const has = hasQdevice[i];
        if (!has || !has.ok || has.value.exitCode !== 0) {
          missing.push(`${n.name}: corosync-qdevice (apt install corosync-qdevice)`);
        }
      });
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
      if (!basis.ok) {
        return basis;
      }
      return ok({ plan: { ...plan.value, request }, basis: basis.value, finish });
    },
    finish,
  );
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
  await updateCluster(name, ctx.home, (record) => {
    if (!record) {
      return null;
    }
    const { qnetd: _q, ...rest } = record;
    return host ? { ...rest, qnetd: { machine: host, host } } : rest;
  });
  return r;
}

/** qdevice remove: on the nodes that are online; the qnetd host may be gone (it is not touched). */
export async function removeQdevice(
  ctx: OpsContext,
  req: { name: string; planOnly?: boolean; rollback?: boolean; resumeOnly?: boolean },
): Promise<Result<OpResult>> {
  const request = 'qdevice remove';
  const finish: Reviewed['finish'] = (c, r) => finishQdevice(c, r, req.name, null);
  return planOrRun(
    ctx,
    req.name,
    request,
    { op: 'qdevice-remove', ...req },
    async (runners): Promise<Result<Reviewed>> => {
      const state = await readClusterState(ctx, runners, req.name);
      if (!state.ok) {
        return state;
      }
      const online = onlineNames(state.value);
      const plan = planQdeviceRemove({
        before: state.value.spec,
        provider: state.value.record.provider,
        ...(state.value.status ? { onlineMembers: online } : {}),
      });
      if (!plan.ok) {
        return plan;
      }
      const acting = state.value.spec.nodes
        .filter((n) => !state.value.status || online.includes(n.name))
        .map((n) => n.machine ?? n.name);
      const basis = await basisOf(runners, acting, confPathOf(state.value.record.provider), acting);
      if (!basis.ok) {
        return basis;
      }
      return ok({ plan: { ...plan.value, request, dropsQdevice: true }, basis: basis.value, finish });
    },
    finish,
  );
}

const confPathOf = (provider: string): string =>
  provider === 'pve' ? '/etc/pve/corosync.conf' : '/etc/corosync/corosync.conf';
