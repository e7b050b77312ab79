/**
 * High availability use cases (issue 13), written once for the CLI and the window: enable the HA
 * engine on a cluster, add / remove / move resources, standby, status, and — in the app — follow
 * each HA cluster and raise notices when a resource moves or fails or fencing is off.
 *
 * The engine is chosen by the cluster's provider: Pacemaker on `corosync` (engine/ha/pacemaker.ssh.ts);
 * Proxmox's ha-manager on `pve` (engine/ha/pve-ha.ssh.ts), where `--vm VMID` / `--ct CTID` name guests.
 * Every check that can refuse runs before anything changes on a machine.
 *
 * This file composes the use cases; the parts live beside it: opening a cluster and the common
 * checks (ha-open.ts), following clusters for notices (ha-follow.ts), `ha enable` (ha-enable.ts),
 * Pacemaker resource specs (ha-resource-spec.ts), Proxmox guests and requirements (ha-pve.ts), the
 * enabled marker (ha-marker.ts).
 */
import { blockingRequirements } from '../ha/pve-requirements';
import { refuseInErrorState } from '../ha/requested-state';
import { loadMarks } from '../ops/maintenance-marks.fs';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { CommandRunner } from '../ssh/runner';
import type { HaProgressLine, Notice, QuorateApi } from './contract';
import type { EventHub } from './event-hub';
import { enableHa } from './ha-enable';
import { createHaFollower } from './ha-follow';
import {
  engineStatus,
  haStatusView,
  readyResource,
  readyToChange,
  resourceOf,
  waitFor,
  withHaCluster,
  type Opened,
} from './ha-open';
import { consentsOf, pveHaAdd, pveSid, requirementsOf } from './ha-pve';
import { specFor } from './ha-resource-spec';

export { PVE_POLL_MS } from './ha-follow';

export interface HaDeps {
  readonly home: string;
  readonly events: EventHub;
  /** A session to a machine as added (pinned host key, secret from the keyring). */
  readonly connect: (machine: string) => Promise<Result<CommandRunner>>;
  readonly now: () => number;
  /** Follow every HA cluster and raise notices (the app). The CLI leaves it off. */
  readonly watch?: boolean;
  /** How often a followed cluster's engine is read, ms (default 500 for Pacemaker: notices within a second; PVE_POLL_MS for Proxmox). */
  readonly pollMs?: number;
  /** Where notices go: the watch service's notice/timeline path. Default: emitted on the hub. */
  readonly publish?: (notice: Notice) => void;
  /** Progress lines of `haEnable` (also emitted as `onDidHaProgress`). */
  readonly progress?: (line: HaProgressLine) => void;
  /** How long `haEnable` waits for one DC with every node online, ms (default 180 000). */
  readonly dcTimeoutMs?: number;
}

export interface HaService extends Pick<
  QuorateApi,
  'haStatus' | 'haEnable' | 'haAdd' | 'haRemove' | 'haMove' | 'haStandby' | 'haRequirements' | 'haSet'
> {
  /** Start following the clusters on which HA was enabled (app start). */
  refresh(): Promise<void>;
  dispose(): Promise<void>;
}

export function createHaService(deps: HaDeps): HaService {
  const follower = createHaFollower(deps);
  const follow = follower.follow;
  const withCluster = <T>(cluster: string, fn: (o: Opened) => Promise<Result<T>>): Promise<Result<T>> =>
    withHaCluster(deps, cluster, fn);
  const view = (cluster: string, s: Parameters<typeof haStatusView>[2], readFrom: string | null) =>
    haStatusView(deps.now, cluster, s, readFrom);

  return {
    async haStatus({ cluster }) {
      const latest = follower.latest(cluster);
      if (latest && deps.now() - latest.updatedAt < 2_000) {
        return ok(latest);
      }
      const r = await withCluster(cluster, async (o) => {
        const s = await engineStatus(o);
        if (!s.ok) {
          return s;
        }
        return ok(view(cluster, s.value ? ok(s.value) : null, o.nodes[0]?.node ?? null));
      });
      if (r.ok && r.value.engine !== null) {
        void follow(cluster);
      }
      return r;
    },

    async haEnable(p) {
      return withCluster(p.cluster, (o) => enableHa(deps, o, p, follow));
    },

    async haAdd(p) {
      const kinds = [p.ip, p.service, p.vm, p.ct].filter((x) => x !== undefined);
      if (kinds.length !== 1) {
        return err(
          'ha.bad-resource',
          'say what to add: exactly one of an IP, a service or a VM.',
          'Use --ip CIDR or --service UNIT.',
        );
      }
      return withCluster(p.cluster, async (o) => {
        const s = await readyToChange(o);
        if (!s.ok) {
          return s;
        }
        if (o.record.provider === 'pve') {
          return pveHaAdd(o, p);
        }
        if (p.with !== undefined) {
          const w = resourceOf(s.value, p.with, p.cluster);
          if (!w.ok) {
            return w;
          }
        }
        const facts = await o.engine.inspect();
        if (!facts.ok) {
          return facts;
        }
        const spec = await specFor(o, p, facts.value);
        if (!spec.ok) {
          return spec;
        }
        if (s.value.resources.some((r) => r.id === spec.value.id)) {
          return err(
            'ha.resource-exists',
            `${p.cluster} already has an HA resource "${spec.value.id}".`,
            'Choose another id (--id), or remove the old one first (quorate ha remove).',
          );
        }
        const added = await o.engine.add(spec.value, p.with ?? null);
        if (!added.ok) {
          return added;
        }
        const done = await waitFor(
          o,
          (st) => {
            const r = st.resources.find((x) => x.id === spec.value.id);
            return r !== undefined && (r.state === 'started' || r.state === 'failed' || r.state === 'blocked');
          },
          60_000,
        );
        const r = done?.resources.find((x) => x.id === spec.value.id);
        return ok({
          id: spec.value.id,
          kind: spec.value.kind,
          state: r?.state ?? 'stopped',
          node: r?.node ?? null,
          with: p.with ?? null,
        });
      });
    },

    async haRemove({ cluster, id }) {
      return withCluster(cluster, async (o) => {
        const ready = await readyResource(o, id, cluster);
        if (!ready.ok) {
          return ready;
        }
        const removed = await o.engine.remove(id);
        return removed.ok ? ok({ id }) : removed;
      });
    },

    async haRequirements(p) {
      return withCluster(p.cluster, async (o) => {
        const guest = o.record.provider === 'pve' ? pveSid(p) : null;
        const r = await requirementsOf(o, guest, consentsOf(p));
        if (!r.ok) {
          return r;
        }
        const consentNeeded = blockingRequirements(r.value).flatMap((x) => (x.consent ? [x.consent] : []));
        return ok({ cluster: p.cluster, guest, checks: r.value, consentNeeded });
      });
    },

    async haSet({ cluster, id, state }) {
      return withCluster(cluster, async (o) => {
        const ready = await readyResource(o, id, cluster);
        if (!ready.ok) {
          return ready;
        }
        const inError = refuseInErrorState(ready.value.resource.engineState, state, id);
        if (inError) {
          return inError;
        }
        const set = await o.engine.setState(id, state);
        if (!set.ok) {
          return set;
        }
        // ha-manager works asynchronously (the CRM applies it within a round): wait for the state to show.
        const want = state === 'started' ? 'started' : state === 'ignored' ? 'unmanaged' : 'stopped';
        const done = await waitFor(o, (st) => st.resources.some((x) => x.id === id && x.state === want), 30_000);
        return ok({ id, requested: state, resource: done?.resources.find((x) => x.id === id) ?? null });
      });
    },

    async haMove({ cluster, id, to }) {
      return withCluster(cluster, async (o) => {
        const ready = await readyResource(o, id, cluster);
        if (!ready.ok) {
          return ready;
        }
        const target = ready.value.status.nodes.find((n) => n.name === to);
        const marked = (await loadMarks(deps.home, cluster)).some((m) => m.node === to);
        const why = !target
          ? 'not a node of this cluster'
          : !target.online
            ? 'offline'
            : target.maintenance || marked
              ? 'in maintenance'
              : target.standby
                ? 'in standby'
                : null;
        if (why) {
          return err(
            'ha.node-unavailable',
            `cannot move ${id} to ${to}: it is ${why}.`,
            target
              ? `Pick an online node, or bring ${to} back first (quorate ha unstandby ${cluster} --node ${to}).`
              : 'Check the node name: quorate ha status NAME.',
          );
        }
        const moved = await o.engine.move(id, to);
        if (!moved.ok) {
          return moved;
        }
        const done = await waitFor(
          o,
          (st) => st.resources.some((x) => x.id === id && x.node === to && x.state === 'started'),
          60_000,
        );
        // As pcs 0.11 does: the preference goes once it moved; stickiness keeps it there, and it can still fail over.
        const cleared = await o.engine.clearMove(id);
        if (!cleared.ok) {
          return cleared;
        }
        const now = done?.resources.find((x) => x.id === id);
        if (!now || now.node !== to) {
          return err(
            'ha.move-failed',
            `${id} did not start on ${to} within 60 s (now: ${now?.state ?? 'unknown'} on ${now?.node ?? 'no node'}).`,
            `Look at crm_mon -1 on ${to}.`,
          );
        }
        return ok(now);
      });
    },

    async haStandby({ cluster, node, standby }) {
      return withCluster(cluster, async (o) => {
        const s = await readyToChange(o);
        if (!s.ok) {
          return s;
        }
        if (!s.value.nodes.some((n) => n.name === node)) {
          return err(
            'ha.unknown-node',
            `${node} is not a node of ${cluster}.`,
            'Check the node name: quorate ha status NAME.',
          );
        }
        if (!standby && (await loadMarks(deps.home, cluster)).some((m) => m.node === node)) {
          return err(
            'ha.node-in-maintenance',
            `${node} is in maintenance mode: its standby is part of it.`,
            `End the maintenance instead: quorate maintenance disable ${cluster} --node ${node}`,
          );
        }
        const r = await o.engine.standby(node, standby);
        if (!r.ok) {
          return r;
        }
        const done = await waitFor(
          o,
          (st) =>
            st.nodes.some((n) => n.name === node && n.standby === standby) &&
            (!standby || !st.resources.some((x) => x.node === node)) &&
            !st.resources.some((x) => x.state === 'starting' || x.state === 'stopping'),
          60_000,
        );
        return ok({ node, standby, resources: done?.resources ?? [] });
      });
    },

    refresh: () => follower.refresh(),

    dispose: () => follower.dispose(),
  };
}
