/**
 * Changing a running cluster safely: what-if (this file), maintenance mode and rolling updates.
 * The live figures come from the watch service's agent streams when the window runs one, else
 * from `corosync-quorumtool -s` on the first member that answers; corosync.conf is read from the
 * same member (and kept for a few seconds, so clicking nodes on the dashboard costs no SSH).
 */
import { liveQuorumFromStatus, parseConf, readConf, toVotequorumConfig } from '../corosync';
import type { LiveQuorum, VotequorumConfig } from '../model';
import { checkWhatIf, whatIf } from '../model';
import { fileJournalStore } from '../ops/journal.fs';
import type { OpsContext } from '../ops/operations';
import { readClusterState } from '../ops/operations';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { CommandRunner } from '../ssh/runner';
import type { ClusterStatus, QuorateApi, WhatIfResult } from './contract';

export interface MaintenanceDeps {
  readonly home: string;
  /** A root-capable runner for a machine added to Quorate. */
  connect(machine: string): Promise<Result<CommandRunner>>;
  /** The window's watch service: its latest status saves an SSH round trip per question. */
  readonly liveStatus?: (cluster: string) => Promise<Result<ClusterStatus>>;
  readonly now?: () => number;
}

export type MaintenanceService = Pick<QuorateApi, 'whatIf'>;

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

  return {
    async whatIf({ cluster, down, qdevice }) {
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
      const request = { nodes: down, qdevice: qdevice ?? false };
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
    },
  };
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
