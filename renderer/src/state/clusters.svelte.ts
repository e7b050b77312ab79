/**
 * Clusters as the engine watches them: the list, each one's latest status (replaced whole on
 * `onDidChangeQuorum`), its timeline, and the notices that drive the in-app banner.
 */
import type {
  ClusterStatus,
  ClusterSummary,
  Notice,
  QuorateWindowApi,
  TimelineEntry,
} from '../../../engine/api/contract';
import type { QuorateError } from '../../../engine/result';
import { withoutOverHaNotices } from '../lib/notice-kinds';
import { qdeviceVoting } from '../lib/qdevice-flags';
import { presentVotes } from '../lib/quorum';
import { defaultApi } from './default-api';
import { listen } from './listen';

const TIMELINE_LIMIT = 200;

/** What a notice cancels when it arrives: good news clears the matching bad news. */
const CLEARS: Partial<Record<Notice['kind'], readonly Notice['kind'][]>> = {
  'quorum-regained': ['quorum-lost'],
  'node-joined': ['node-left', 'node-lost'],
  'node-left': ['node-lost'],
  'node-lost': ['node-left'],
  'qdevice-reachable': ['qdevice-unreachable'],
};

export class ClustersState {
  readonly #api: QuorateWindowApi;
  list = $state.raw<readonly ClusterSummary[]>([]);
  statuses = $state.raw<Readonly<Record<string, ClusterStatus>>>({});
  timelines = $state.raw<Readonly<Record<string, readonly TimelineEntry[]>>>({});
  /** Active notices, most severe first; good news stays until dismissed. */
  notices = $state.raw<readonly Notice[]>([]);
  loadError = $state.raw<QuorateError | null>(null);
  loaded = $state(false);

  /** The banner's notice: the most severe active one. */
  readonly banner = $derived(this.notices[0] ?? null);
  /** The other active notices, shown under the banner as one line each. */
  readonly moreNotices = $derived(this.notices.slice(1));

  constructor(api: QuorateWindowApi = defaultApi()) {
    this.#api = api;
  }

  listen(signal: AbortSignal): void {
    listen(
      this.#api,
      'onDidChangeQuorum',
      ({ cluster, status }) => {
        this.statuses = { ...this.statuses, [cluster]: status };
        this.list = this.list.some((c) => c.name === cluster)
          ? this.list.map((c) => (c.name === cluster ? summaryOf(status, c.hasQdevice) : c))
          : [...this.list, summaryOf(status, status.qdevice !== null)];
      },
      signal,
    );
    listen(
      this.#api,
      'onDidAddTimelineEntry',
      (entry) => {
        const cur = this.timelines[entry.cluster] ?? [];
        this.timelines = { ...this.timelines, [entry.cluster]: [entry, ...cur].slice(0, TIMELINE_LIMIT) };
      },
      signal,
    );
    listen(this.#api, 'onDidNotify', (notice) => this.#notify(notice), signal);
    // An HA condition (guest in error, fencing pending) leaves the banner when the HA status ends it.
    listen(
      this.#api,
      'onDidChangeHa',
      ({ cluster, status }) => {
        const left = withoutOverHaNotices(this.notices, cluster, status);
        if (left.length !== this.notices.length) {
          this.notices = left;
        }
      },
      signal,
    );
  }

  async load(): Promise<void> {
    const [clusters, notices] = await Promise.all([this.#api.listClusters(), this.#api.listNotices()]);
    if (clusters.ok) {
      this.list = clusters.value;
      this.loadError = null;
    } else {
      this.loadError = clusters.error;
    }
    if (notices.ok) {
      this.notices = sortNotices(notices.value);
    }
    this.loaded = true;
    await Promise.all(this.list.map((c) => this.refresh(c.name)));
  }

  /** Fetches one cluster's status and timeline. */
  async refresh(cluster: string): Promise<QuorateError | null> {
    const [status, timeline] = await Promise.all([
      this.#api.clusterStatus({ cluster }),
      this.#api.listTimeline({ cluster, limit: 100 }),
    ]);
    if (status.ok) {
      this.statuses = { ...this.statuses, [cluster]: status.value };
    }
    if (timeline.ok) {
      this.timelines = { ...this.timelines, [cluster]: timeline.value };
    }
    return status.ok ? null : status.error;
  }

  dismiss(notice: Notice): void {
    this.notices = this.notices.filter((n) => n !== notice);
  }

  #notify(notice: Notice): void {
    const cleared = CLEARS[notice.kind] ?? [];
    const sameSubject = (n: Notice): boolean =>
      n.cluster === notice.cluster &&
      (n.node ?? '') === (notice.node ?? '') &&
      (n.resource ?? '') === (notice.resource ?? '');
    const rest = this.notices.filter((n) => !(sameSubject(n) && (n.kind === notice.kind || cleared.includes(n.kind))));
    this.notices = sortNotices([notice, ...rest]);
  }
}

const RANK = { critical: 0, warning: 1, info: 2 } as const;

/**
 * Quorum news first (lost, or regained: the two never coexist for a cluster), then by severity,
 * then newest first. The banner is about quorum; a node still out after quorum returned is listed under it.
 */
function sortNotices(notices: readonly Notice[]): Notice[] {
  const quorumFirst = (n: Notice): number => (n.kind.startsWith('quorum-') ? 0 : 1);
  return [...notices].sort(
    (a, b) => quorumFirst(a) - quorumFirst(b) || RANK[a.severity] - RANK[b.severity] || b.at - a.at,
  );
}

function summaryOf(status: ClusterStatus, hadQdevice: boolean): ClusterSummary {
  return {
    name: status.name,
    state: status.state,
    nodes: status.nodes.map((n) => n.name),
    // The status carries the QDevice from corosync.conf as the members hold it; only a status no
    // node has answered for yet (no reporter) keeps what the list said, so a removed QDevice goes.
    hasQdevice: status.qdevice !== null || (status.reporter === null && hadQdevice),
  };
}

/** Votes present right now in the reporting partition (online nodes + the QDevice when it votes). */
export function votesPresent(status: ClusterStatus): number {
  const q = status.qdevice && qdeviceVoting(status.qdevice.flags) ? status.qdevice.votes : 0;
  return presentVotes(status.nodes, q);
}
