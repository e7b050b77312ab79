/**
 * Changing a running cluster safely: what-if (this file), maintenance mode and rolling updates.
 * The live figures come from the watch service's agent streams when the window runs one, else
 * from `corosync-quorumtool -s` on the first member that answers; corosync.conf is read from the
 * same member (and kept for a few seconds, so clicking nodes on the dashboard costs no SSH).
 * Over 400 lines on purpose: what-if, maintenance, rolling and the cold-start wait share the live
 * snapshot and the maintenance switch; the rolling driver itself is engine/ops/rolling.ts.
 */
import { liveQuorumFromStatus, parseConf, parseQuorumtoolStatus, readConf, toVotequorumConfig } from '../corosync';
import type { LiveQuorum, VotequorumConfig } from '../model';
import { checkWhatIf, quorumWait, whatIf } from '../model';
import { createPacemakerEngine } from '../ha/pacemaker.ssh';
import { fileJournalStore } from '../ops/journal.fs';
import { clearMark, loadMarks, setMark } from '../ops/maintenance-marks.fs';
import type { DrainReport, MaintenanceEngine } from '../ops/maintenance-mode.ssh';
import { pacemakerMaintenance, pveMaintenance } from '../ops/maintenance-mode.ssh';
import type { OpsContext } from '../ops/operations';
import { readClusterState } from '../ops/operations';
import type { ClusterRecord } from '../ops/registry.fs';
import { loadCluster } from '../ops/registry.fs';
import type { RollingRequest, RollingStep } from '../ops/rolling';
import { loadRollingJournal, rollingSteps, runRolling } from '../ops/rolling';
import type { Result } from '../result';
import { err, ok, withCliHint } from '../result';
import type { CommandRunner } from '../ssh/runner';
import type {
  ClusterStatus,
  MaintenanceOutcome,
  MaintenanceParams,
  QuorateApi,
  RollingOutcome,
  RollingParams,
  RollingStepView,
  WhatIfResult,
} from './contract';
import type { EventHub } from './event-hub';

export interface MaintenanceDeps {
  readonly home: string;
  /** A root-capable runner for a machine added to Quorate. */
  connect(machine: string): Promise<Result<CommandRunner>>;
  /** The window's watch service: its latest status saves an SSH round trip per question. */
  readonly liveStatus?: (cluster: string) => Promise<Result<ClusterStatus>>;
  readonly now?: () => number;
  /** How long to wait for HA to move a node's resources away (ms, default 5 minutes). */
  readonly drainTimeoutMs?: number;
  /** The window's event hub: a changed mark re-sends the cluster status, so the dashboard shows it. */
  readonly events?: EventHub;
  /** Progress lines of a long call (draining), for the window's log and the CLI's stderr. */
  readonly log?: (line: string) => void;
}

export type MaintenanceService = Pick<
  QuorateApi,
  'whatIf' | 'setMaintenance' | 'listMaintenance' | 'rolling' | 'quorumWait'
>;

/** How long corosync.conf read for a what-if is reused (ms): operations change it rarely. */
const CONF_TTL_MS = 15_000;

interface Snapshot {
  readonly cfg: VotequorumConfig;
  readonly live: LiveQuorum | undefined;
  readonly readFrom: string;
  readonly at: number;
}

export function createMaintenanceService(deps: MaintenanceDeps): MaintenanceService {
  const now = deps.now ?? Date.now;
  const ctx: OpsContext = { connect: deps.connect, home: deps.home, journal: fileJournalStore(deps.home) };
  const confs = new Map<string, Snapshot>();

  /** corosync.conf as a votequorum config and the live view, from one member over SSH. */
  const read = async (cluster: string): Promise<Result<Snapshot>> => {
    const state = await readClusterState(ctx, null, cluster);
    if (!state.ok) {
      return state;
    }
    const doc = parseConf(state.value.spec.conf);
    if (!doc.ok) {
      return err('corosync.parse', `corosync.conf on ${state.value.readFrom}: ${doc.error.message}`, 'Check the file.');
    }
    const cfg = toVotequorumConfig(readConf(doc.value));
    const live = state.value.status ? liveQuorumFromStatus(state.value.status, cfg.nodes) : undefined;
    return ok({ cfg, live, readFrom: state.value.readFrom, at: now() });
  };

  /** The freshest view: the watch service's status with a cached conf, else a full read. */
  const snapshot = async (cluster: string): Promise<Result<Snapshot>> => {
    const cached = confs.get(cluster);
    if (deps.liveStatus && cached && now() - cached.at < CONF_TTL_MS) {
      const s = await deps.liveStatus(cluster);
      if (s.ok && s.value.quorate !== null && s.value.reporter) {
        return ok({ ...cached, live: liveFromWatch(s.value), readFrom: s.value.reporter });
      }
    }
    const fresh = await read(cluster);
    if (fresh.ok) {
      confs.set(cluster, fresh.value);
    }
    return fresh;
  };

  const ask = async (cluster: string, down: readonly string[], qdevice: boolean): Promise<Result<WhatIfResult>> => {
    const snap = await snapshot(cluster);
    if (!snap.ok) {
      return snap;
    }
    const { cfg, live, readFrom } = snap.value;
    if (!live) {
      return err(
        'whatif.no-status',
        `corosync on ${readFrom} did not answer corosync-quorumtool -s`,
        'Check that corosync runs on the cluster nodes (quorate status NAME).',
      );
    }
    const request = { nodes: down, qdevice };
    const checked = checkWhatIf(cfg, live, request);
    if (!checked.ok) {
      return checked;
    }
    const answer = whatIf(cfg, live, request);
    const result: WhatIfResult = {
      now: answer.now,
      after: answer.after,
      reason: answer.reason,
      remaining: answer.remaining,
      readFrom,
    };
    return ok(result);
  };

  /** Runners for every node that answers, for the HA engines (Pacemaker reads from any of them). */
  const withNodes = async <T>(
    nodes: Readonly<Record<string, string>>,
    fn: (runners: { node: string; runner: CommandRunner }[]) => Promise<T>,
  ): Promise<T> => {
    const runners: { node: string; runner: CommandRunner }[] = [];
    try {
      // In parallel: each connect is an SSH handshake.
      const opened = await Promise.all(
        Object.entries(nodes).map(async ([node, machine]) => ({ node, r: await deps.connect(machine) })),
      );
      for (const { node, r } of opened) {
        if (r.ok) {
          runners.push({ node, runner: r.value });
        }
      }
      return await fn(runners);
    } finally {
      await Promise.all(runners.map((r) => r.runner.close()));
    }
  };

  const publish = async (cluster: string): Promise<void> => {
    const s = deps.events && deps.liveStatus ? await deps.liveStatus(cluster) : undefined;
    if (s?.ok) {
      deps.events?.emit('onDidChangeQuorum', { cluster, status: s.value });
    }
  };

  /** Who moves a node's resources away: ha-manager on Proxmox, Pacemaker where it answers, else nobody. */
  const detectEngine = async (record: ClusterRecord): Promise<MaintenanceEngine> =>
    record.provider === 'pve'
      ? 'pve-ha'
      : withNodes(record.nodes, async (runners) =>
          (await createPacemakerEngine(runners).status()).ok ? 'pacemaker' : 'corosync',
        );

  const switchMaintenance = async (
    { cluster, node, enable, plan, confirm }: MaintenanceParams,
    how: {
      readonly by: 'maintenance' | 'rolling';
      readonly gated: boolean;
      /** Already known (a rolling run detects it once): saves reading every node's HA engine. */
      readonly engine?: MaintenanceEngine;
    } = { by: 'maintenance', gated: false },
  ): Promise<Result<MaintenanceOutcome>> => {
    const record = await loadCluster(cluster, deps.home);
    if (!record) {
      return err(
        'ops.unknown-cluster',
        `Quorate manages no cluster named ${cluster}`,
        'Check the name (quorate clusters).',
      );
    }
    const machine = record.nodes[node];
    if (!machine) {
      return err(
        'whatif.unknown-node',
        `no node named "${node}" in ${cluster}`,
        `node names are those of the nodelist: ${Object.keys(record.nodes).join(', ')}`,
      );
    }
    const marks = await loadMarks(deps.home, cluster);
    const already = marks.find((m) => m.node === node);
    let gate: WhatIfResult | null = null;
    let needsConfirm = false;
    if (enable && !already && !how.gated) {
      // Nodes already in maintenance count as gone: the user is about to take them down too.
      const others = marks.map((m) => m.node).filter((n) => n !== node);
      const w = await ask(cluster, [node, ...others], false);
      if (!w.ok) {
        return w;
      }
      gate = w.value;
      if (!gate.after.quorate) {
        return err(
          'maintenance.would-lose-quorum',
          `${cluster} would lose quorum without ${[node, ...others].join(', ')}: ${gate.reason}`,
          others.length > 0
            ? `Take ${others.join(', ')} out of maintenance first, or bring back the missing nodes.`
            : 'Bring back the missing nodes first (or add a QDevice), then try again.',
        );
      }
      needsConfirm = gate.after.canLose === 0;
    }
    const engine: MaintenanceEngine = already?.engine ?? how.engine ?? (await detectEngine(record));
    const words = stepsInWords(engine, node, enable);
    if (plan || (enable && already) || (!enable && !already)) {
      return ok({
        node,
        inMaintenance: enable,
        planned: Boolean(plan),
        engine,
        whatIf: gate,
        needsConfirm,
        steps:
          enable && already
            ? [`${node} is already in maintenance`]
            : !enable && !already
              ? [`${node} is not in maintenance`]
              : words,
        moved: [],
        stuck: [],
      } satisfies MaintenanceOutcome);
    }
    if (needsConfirm && confirm !== cluster && how.by === 'maintenance') {
      const refused = err(
        'maintenance.confirm-needed',
        `Without ${node}, ${cluster} stays quorate but could lose no further node: ${gate?.reason ?? ''}`,
        `Type the cluster name (${cluster}) to confirm.`,
      );
      return {
        ok: false,
        error: withCliHint(refused.error, `Run again with --confirm ${cluster} if the other nodes stay up meanwhile.`),
      };
    }
    let drained: DrainReport = { moved: [], stuck: [] };
    if (engine !== 'corosync') {
      const r = await withNodes(record.nodes, async (runners) => {
        const opts = { timeoutMs: deps.drainTimeoutMs ?? 300_000, ...(deps.log ? { log: deps.log } : {}) };
        if (engine === 'pacemaker') {
          return pacemakerMaintenance(createPacemakerEngine(runners), node, enable, opts);
        }
        const own = runners.find((x) => x.node === node) ?? runners[0];
        return own
          ? pveMaintenance(own.runner, node, enable, opts)
          : err('ops.cluster-unreachable', `no node of ${cluster} answers`, 'Check the nodes are up.');
      });
      if (!r.ok) {
        return r;
      }
      drained = r.value;
    }
    if (enable) {
      await setMark(deps.home, cluster, { node, since: now(), by: how.by, engine });
    } else {
      await clearMark(deps.home, cluster, node);
    }
    await publish(cluster);
    return ok({
      node,
      inMaintenance: enable,
      planned: false,
      engine,
      whatIf: gate,
      needsConfirm,
      steps: words,
      moved: drained.moved,
      stuck: drained.stuck,
    } satisfies MaintenanceOutcome);
  };

  const rolling = async ({ cluster, run, restart, plan }: RollingParams): Promise<Result<RollingOutcome>> => {
    const record = await loadCluster(cluster, deps.home);
    if (!record) {
      return err(
        'ops.unknown-cluster',
        `Quorate manages no cluster named ${cluster}`,
        'Check the name (quorate clusters).',
      );
    }
    const snap = await read(cluster);
    if (!snap.ok) {
      return snap;
    }
    // Nodelist order (corosync.conf), each with the machine Quorate reaches it through.
    const nodes = snap.value.cfg.nodes.flatMap((n): [string, string][] =>
      record.nodes[n.name] ? [[n.name, record.nodes[n.name]!]] : [],
    );
    const request: RollingRequest = { cluster, command: run, restart: restart ?? 'none' };
    const others = async (node: string): Promise<string[]> =>
      (await loadMarks(deps.home, cluster)).filter((m) => m.node !== node && m.by === 'maintenance').map((m) => m.node);
    const gate = async (
      node: string,
      runner?: CommandRunner,
    ): Promise<Result<{ quorate: boolean; reason: string }>> => {
      const down = { nodes: [node, ...(await others(node))], qdevice: false };
      if (runner) {
        // The node's own session and the conf read at the start: no new SSH connection per gate.
        const q = await runner.run('corosync-quorumtool -s', { timeoutMs: 10_000 });
        const parsed = q.ok ? parseQuorumtoolStatus(q.value.stdout) : null;
        const live = parsed?.ok ? liveQuorumFromStatus(parsed.value, snap.value.cfg.nodes) : undefined;
        if (live && checkWhatIf(snap.value.cfg, live, down).ok) {
          const a = whatIf(snap.value.cfg, live, down);
          return ok({ quorate: a.after.quorate, reason: a.reason });
        }
      }
      const w = await ask(cluster, down.nodes, false);
      return w.ok ? ok({ quorate: w.value.after.quorate, reason: w.value.reason }) : w;
    };
    const views = (steps: readonly RollingStep[], done: readonly string[], failed?: string): RollingStepView[] =>
      steps.map((st) => ({
        id: st.id,
        node: st.node,
        kind: st.kind,
        title: st.title,
        state: done.includes(st.id) ? 'done' : st.id === failed ? 'failed' : 'pending',
      }));
    if (plan) {
      const previous = await loadRollingJournal(deps.home, cluster);
      const steps = previous && previous.state !== 'done' ? previous.steps : rollingSteps(request, nodes);
      const gates = [];
      for (const [node] of nodes) {
        const g = await gate(node);
        gates.push(g.ok ? { node, ...g.value } : { node, quorate: false, reason: g.error.message });
      }
      return ok({
        cluster,
        state: 'planned',
        resumed: Boolean(previous && previous.state !== 'done'),
        steps: views(steps, previous && previous.state !== 'done' ? previous.done : [], previous?.error?.stepId),
        gates,
        error: null,
      });
    }
    const [before, engine] = await Promise.all([loadRollingJournal(deps.home, cluster), detectEngine(record)]);
    const nodeOf = new Map<string, string>();
    const r = await runRolling(request, nodes, {
      home: deps.home,
      connect: deps.connect,
      gate,
      maintenance: (node, on) =>
        switchMaintenance({ cluster, node, enable: on }, { by: 'rolling', gated: true, engine }),
      qdevice: snap.value.cfg.qdevice !== undefined,
      members: nodes.length,
      now,
      onEvent: (e) => {
        const node = nodeOf.get(e.stepId) ?? e.stepId.split('@')[1] ?? e.machine;
        nodeOf.set(e.stepId, node);
        deps.log?.(`${e.state.padEnd(8)} ${node}: ${e.title}${e.line ? ` — ${e.line}` : ''}`);
        deps.events?.emit('onDidUpdateRolling', {
          cluster,
          stepId: e.stepId,
          node,
          state: e.state === 'skipped' ? 'done' : e.state === 'rolled-back' ? 'failed' : e.state,
          line: e.line ?? null,
          at: now(),
        });
      },
    });
    const resumed = Boolean(
      before && before.state !== 'done' && JSON.stringify(before.request) === JSON.stringify(request),
    );
    if (r.ok) {
      return ok({ cluster, state: 'done', resumed, steps: views(r.value.steps, r.value.done), gates: [], error: null });
    }
    const journal = await loadRollingJournal(deps.home, cluster);
    if (!journal || r.error.code === 'ops.locked' || r.error.code === 'rolling.unfinished') {
      return r;
    }
    return ok({
      cluster,
      state: 'failed',
      resumed,
      steps: views(journal.steps, journal.done, journal.error?.stepId),
      gates: [],
      error: r.error,
    });
  };

  return {
    whatIf: ({ cluster, down, qdevice }) => ask(cluster, down, qdevice ?? false),
    listMaintenance: async ({ cluster }) => ok(await loadMarks(deps.home, cluster)),
    setMaintenance: (params) => switchMaintenance(params),
    rolling: (params) => rolling(params),
    async quorumWait({ cluster }) {
      const snap = await snapshot(cluster);
      if (!snap.ok) {
        return snap;
      }
      const { cfg, live, readFrom } = snap.value;
      if (!live) {
        return err(
          'whatif.no-status',
          `corosync on ${readFrom} did not answer corosync-quorumtool -s`,
          'Check that corosync runs on the cluster nodes (quorate status NAME).',
        );
      }
      return ok({ ...quorumWait(cfg, live), readFrom });
    },
  };
}

function stepsInWords(engine: MaintenanceEngine, node: string, enable: boolean): string[] {
  const mark = enable
    ? `mark ${node} as in maintenance (the monitor then reports it as down for maintenance, not as lost)`
    : `clear the maintenance mark of ${node}`;
  switch (engine) {
    case 'pve-ha':
      return enable
        ? [
            `ha-manager crm-command node-maintenance enable ${node}`,
            `wait until HA has moved ${node}'s services away`,
            mark,
          ]
        : [
            `ha-manager crm-command node-maintenance disable ${node}`,
            `wait until HA has moved the services that left ${node} back to it`,
            mark,
          ];
    case 'pacemaker':
      return enable
        ? [`put ${node} in Pacemaker standby`, `wait until its resources run elsewhere`, mark]
        : [`take ${node} out of Pacemaker standby`, mark];
    case 'corosync':
      return enable ? [mark, `nothing is stopped: shut ${node} down yourself when you are ready`] : [mark];
  }
}

/** The watch service's status as the model's live view. */
function liveFromWatch(s: ClusterStatus): LiveQuorum {
  return {
    members: s.nodes.filter((n) => n.online).map((n) => n.name),
    quorate: s.quorate === true,
    totalVotes: s.totalVotes,
    expectedVotes: s.expectedVotes,
    quorum: s.quorum,
    qdeviceVoting: (s.qdevice?.votes ?? 0) > 0,
  };
}
