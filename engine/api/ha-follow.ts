/**
 * Following HA clusters in the app: one long-lived engine watch per cluster on which HA runs, the
 * latest status kept for `haStatus`, `onDidChangeHa` when it changes, and notices when a resource
 * moves or fails or fencing is off (Pacemaker: engine/ha/events.ts; Proxmox: engine/ha/pve-events.ts).
 * Its own module because it is the one stateful part of the HA service (the followed map, dispose);
 * the use cases in service-ha.ts only ask it to follow a cluster or for its latest status.
 */
import { createHaEventTracker } from '../ha/events';
import { haNoticeText } from '../ha/notices';
import { diffPveHa, type PveHaMemory } from '../ha/pve-events';
import { pveHaNoticeText } from '../ha/pve-notices';
import { listClusters } from '../ops/registry.fs';
import type { HaStatusView, Notice } from './contract';
import { haStatusView, openHaCluster, type Opened } from './ha-open';
import { isHaMarked } from './ha-marker';
import type { HaDeps } from './service-ha';

/**
 * How often a Proxmox cluster's `ha-manager status` is read, ms. The CRM changes service states
 * once per 10 s round, and a recovery takes minutes (fence delay), so every 10 s loses nothing that
 * matters while keeping the Perl tool off the node's CPU (one run on one node per round).
 */
export const PVE_POLL_MS = 10_000;

interface Followed {
  readonly opened: Opened;
  stop: () => void;
  latest: HaStatusView | null;
}

export interface HaFollower {
  /** Start following `cluster` (no-op without `deps.watch`, after dispose, or when already followed). */
  follow(cluster: string): Promise<void>;
  /** The last status the follower read of `cluster`, if it follows it. */
  latest(cluster: string): HaStatusView | null;
  /** Follow the clusters on which HA was enabled; stop following those forgotten. */
  refresh(): Promise<void>;
  dispose(): Promise<void>;
}

export function createHaFollower(deps: HaDeps): HaFollower {
  const followed = new Map<string, Followed>();
  let disposed = false;

  const publish = (notice: Notice): void => {
    if (deps.publish) {
      deps.publish(notice);
    } else {
      deps.events.emit('onDidNotify', notice);
      deps.events.emit('onDidAddTimelineEntry', {
        cluster: notice.cluster,
        at: notice.at,
        severity: notice.severity,
        text: notice.title,
      });
    }
  };

  const follow = async (cluster: string): Promise<void> => {
    if (!deps.watch || disposed || followed.has(cluster)) {
      return;
    }
    const o = await openHaCluster(deps, cluster);
    if (!o.ok || disposed || followed.has(cluster)) {
      if (o.ok) {
        await o.value.close();
      }
      return;
    }
    const tracker = createHaEventTracker();
    // Proxmox: the pve differ over ha-manager's own states (engine/ha/pve-events.ts).
    const pve = o.value.engine.name === 'pve-ha';
    let pveMemory: PveHaMemory | null = null;
    const f: Followed = { opened: o.value, stop: () => {}, latest: null };
    followed.set(cluster, f);
    let lastJson = '';
    f.stop = o.value.engine.watch(
      (s) => {
        if (!s.ok && s.error.code === 'ha.no-node') {
          return;
        }
        const v = haStatusView(deps.now, cluster, s, null);
        f.latest = v;
        const { updatedAt: _t, ...rest } = v;
        const json = JSON.stringify(rest);
        if (json !== lastJson) {
          lastJson = json;
          deps.events.emit('onDidChangeHa', { cluster, status: v });
        }
        if (!s.ok) {
          return;
        }
        if (pve) {
          const d = diffPveHa(pveMemory, s.value);
          pveMemory = d.memory;
          for (const e of d.events) {
            publish({ ...pveHaNoticeText(cluster, e), cluster, at: deps.now() });
          }
          return;
        }
        for (const e of tracker.observe(s.value, deps.now())) {
          const t = haNoticeText(cluster, e);
          publish({ ...t, cluster, at: deps.now() });
        }
      },
      deps.pollMs ?? (pve ? PVE_POLL_MS : 500),
    );
  };

  return {
    follow,

    latest: (cluster) => followed.get(cluster)?.latest ?? null,

    async refresh() {
      if (!deps.watch) {
        return;
      }
      const clusters = await listClusters(deps.home);
      for (const c of clusters) {
        // Every Proxmox node runs ha-manager; Pacemaker only where `ha enable` ran.
        if (c.provider === 'pve' || (await isHaMarked(deps.home, c.name))) {
          void follow(c.name);
        }
      }
      // A cluster forgotten (or removed) is no longer read, and raises nothing more.
      for (const [name, f] of [...followed]) {
        if (!clusters.some((c) => c.name === name)) {
          followed.delete(name);
          f.stop();
          await f.opened.close();
        }
      }
    },

    async dispose() {
      disposed = true;
      for (const f of followed.values()) {
        f.stop();
        await f.opened.close();
      }
      followed.clear();
    },
  };
}
