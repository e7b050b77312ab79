/**
 * High availability use cases (issue 13), written once for the CLI and the window: enable the HA
 * engine on a cluster, add / remove / move resources, standby, status, and — in the app — follow
 * each HA cluster and raise notices when a resource moves or fails or fencing is off.
 *
 * The engine is chosen by the cluster's provider: Pacemaker on `corosync` (engine/ha/pacemaker.ssh.ts);
 * Proxmox's ha-manager on `pve` (engine/ha/pve-ha.ssh.ts), where `--vm VMID` / `--ct CTID` name guests.
 * Every check that can refuse runs before anything changes on a machine.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseQuorumtoolStatus } from '../corosync/tool-quorumtool';
import { addressOnSubnet, isNetworkOrBroadcast, parseCidr } from '../ha/address';
import { idFor } from '../ha/cib';
import type { HaEngine, HaNodeFacts } from '../ha/engine';
import { createHaEventTracker } from '../ha/events';
import { FENCING_EXPLANATION, FENCING_OPTIONS, haNoticeText } from '../ha/notices';
import type { HaNodeRunner } from '../ha/pacemaker.ssh';
import { createPacemakerEngine } from '../ha/pacemaker.ssh';
import { diffPveHa, type PveHaMemory } from '../ha/pve-events';
import { createPveHaEngine, pveTools } from '../ha/pve-ha.ssh';
import { pveHaNoticeText } from '../ha/pve-notices';
import { blockingRequirements, haRequirements, type HaConsent, type HaRequirement } from '../ha/pve-requirements';
import { clusterVotes, readPveHaFacts } from '../ha/pve-requirements.ssh';
import { refuseInErrorState } from '../ha/requested-state';
import type { HaResource, HaResourceSpec, HaStatus } from '../ha/types';
import { writeFileAtomicOrThrow } from '../ops/journal.fs';
import { loadMarks } from '../ops/maintenance-marks.fs';
import type { ClusterRecord } from '../ops/registry.fs';
import { listClusters, loadCluster } from '../ops/registry.fs';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { CommandRunner } from '../ssh/runner';
import type { HaProgressLine, HaStatusView, Notice, QuorateApi } from './contract';
import type { EventHub } from './event-hub';

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

interface Opened {
  readonly record: ClusterRecord;
  readonly nodes: HaNodeRunner[];
  readonly unreachable: { node: string; message: string }[];
  readonly engine: HaEngine;
  close(): Promise<void>;
}

interface Followed {
  readonly opened: Opened;
  stop: () => void;
  latest: HaStatusView | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How often a Proxmox cluster's `ha-manager status` is read, ms. The CRM changes service states
 * once per 10 s round, and a recovery takes minutes (fence delay), so every 10 s loses nothing that
 * matters while keeping the Perl tool off the node's CPU (one run on one node per round).
 */
export const PVE_POLL_MS = 10_000;

export function createHaService(deps: HaDeps): HaService {
  const followed = new Map<string, Followed>();
  let disposed = false;
  const markerPath = (cluster: string) => join(deps.home, 'ha', `${cluster}.json`);

  const open = async (cluster: string): Promise<Result<Opened>> => {
    const record = await loadCluster(cluster, deps.home);
    if (!record) {
      return err(
        'clusters.unknown',
        `Quorate manages no cluster named ${cluster}.`,
        'Check the name: quorate clusters.',
      );
    }
    const nodes: HaNodeRunner[] = [];
    const unreachable: { node: string; message: string }[] = [];
    await Promise.all(
      Object.entries(record.nodes).map(async ([node, machine]) => {
        const s = await deps.connect(machine);
        if (s.ok) {
          nodes.push({ node, runner: s.value });
        } else {
          unreachable.push({ node, message: s.error.message });
        }
      }),
    );
    const order = Object.keys(record.nodes);
    nodes.sort((a, b) => order.indexOf(a.node) - order.indexOf(b.node));
    if (nodes.length === 0) {
      return err(
        'ha.node-unreachable',
        `no node of ${cluster} can be reached`,
        'Check the machines (quorate status NAME).',
      );
    }
    return ok({
      record,
      nodes,
      unreachable,
      engine: record.provider === 'pve' ? createPveHaEngine(nodes) : createPacemakerEngine(nodes),
      close: async () => {
        await Promise.all(nodes.map((n) => n.runner.close()));
      },
    });
  };

  const withCluster = async <T>(cluster: string, fn: (o: Opened) => Promise<Result<T>>): Promise<Result<T>> => {
    const o = await open(cluster);
    if (!o.ok) {
      return o;
    }
    try {
      return await fn(o.value);
    } finally {
      await o.value.close();
    }
  };

  /** corosync's own verdict on each reachable node: HA changes need a quorate partition. */
  const requireQuorum = async (o: Opened): Promise<Result<void>> => {
    const verdicts = await Promise.all(
      o.nodes.map(async (n) => {
        const r = await n.runner.run('corosync-quorumtool -s', { timeoutMs: 10_000 });
        const p = r.ok ? parseQuorumtoolStatus(r.value.stdout) : undefined;
        return p?.ok ? p.value.quorate : false;
      }),
    );
    if (verdicts.some((v) => v)) {
      return ok(undefined);
    }
    return err(
      'ha.no-quorum',
      `${o.record.name} has no quorum: no node reports a quorate partition, so no HA change can be made safely.`,
      'Bring enough nodes back first (quorate status NAME), then try again.',
    );
  };

  const view = (cluster: string, s: Result<HaStatus> | null, readFrom: string | null): HaStatusView => {
    const v = s?.ok ? s.value : null;
    return {
      cluster,
      engine: v ? v.engine : null,
      dc: v?.dc ?? null,
      quorate: v?.quorate ?? null,
      fencing: v?.fencing ?? null,
      nodes: v?.nodes ?? [],
      resources: v?.resources ?? [],
      failures: v?.failures ?? [],
      readFrom: v ? readFrom : null,
      updatedAt: deps.now(),
    };
  };

  /** The engine's status, or an error that is not "Pacemaker is not running here". */
  const engineStatus = async (o: Opened): Promise<Result<HaStatus | null>> => {
    const s = await o.engine.status();
    if (s.ok) {
      return s;
    }
    return s.error.code === 'ha.not-running' ? ok(null) : s;
  };

  /** `--vm VMID` / `--ct CTID` → the ha-manager service id `vm:ID` / `ct:ID`; null when neither names one. */
  const pveSid = (p: { vm?: string; ct?: string }): string | null =>
    p.ct !== undefined ? `ct:${p.ct}` : p.vm !== undefined && /^\d+$/.test(p.vm) ? `vm:${p.vm}` : null;

  const consentsOf = (p: { allowFewVotes?: boolean; allowLocalDisks?: boolean }): HaConsent[] => [
    ...(p.allowFewVotes ? (['fewVotes'] as const) : []),
    ...(p.allowLocalDisks ? (['localDisks'] as const) : []),
  ];

  /** The requirements checked on this cluster (pve: all of them; Pacemaker: the votes). */
  const requirementsOf = async (
    o: Opened,
    guest: string | null,
    consent: readonly HaConsent[],
  ): Promise<Result<HaRequirement[]>> => {
    if (o.record.provider !== 'pve') {
      const votes = await clusterVotes((c) => pveTools(o.nodes).runAny(c));
      return ok(
        haRequirements({ ...votes, guest: null, storages: [], watchdogs: [], consent }).filter(
          (r) => r.id === 'ha.votes',
        ),
      );
    }
    const facts = await readPveHaFacts(pveTools(o.nodes), o.nodes, o.record.name, guest);
    return facts.ok ? ok(haRequirements({ ...facts.value, consent })) : facts;
  };

  /** ha-manager add for a Proxmox guest, after its requirements (refused without consent where they fail). */
  const pveHaAdd = async (
    o: Opened,
    p: Parameters<HaService['haAdd']>[0],
  ): Promise<Awaited<ReturnType<HaService['haAdd']>>> => {
    const guest = pveSid(p);
    if (!guest) {
      return err(
        'ha.bad-resource',
        `${o.record.name} is a Proxmox VE cluster: HA manages its guests.`,
        'Name the guest: --vm VMID or --ct CTID.',
      );
    }
    const reqs = await requirementsOf(o, guest, consentsOf(p));
    if (!reqs.ok) {
      return reqs;
    }
    const blocked = blockingRequirements(reqs.value);
    const first = blocked[0];
    if (first) {
      const flags = blocked.map((b) => (b.consent === 'fewVotes' ? '--allow-few-votes' : '--allow-local-disks'));
      return err(
        first.consent === 'fewVotes' ? 'ha.few-votes' : 'ha.local-disks',
        `${guest} was not added to HA: ${blocked.map((b) => b.message).join(' ')}`,
        `Fix it, or accept the risk: quorate ha add ${o.record.name} ${guest.startsWith('ct:') ? '--ct' : '--vm'} ${guest.slice(3)} ${flags.join(' ')} (in the window: tick the consent in the HA requirements).`,
      );
    }
    const before = await o.engine.status();
    if (before.ok && before.value.resources.some((x) => x.id === guest)) {
      return err(
        'ha.resource-exists',
        `${guest} is already managed by HA on ${o.record.name}.`,
        `Change its requested state instead: quorate ha set ${o.record.name} ${guest} --state started`,
      );
    }
    // The engine's `vm` spec carries the ha-manager service id; there is no config file on pve.
    const added = await o.engine.add({ kind: 'vm', id: guest, config: '' }, null);
    if (!added.ok) {
      return added;
    }
    const done = await waitFor(o, (st) => st.resources.some((x) => x.id === guest && x.state !== 'starting'), 30_000);
    const r = done?.resources.find((x) => x.id === guest);
    return ok({
      id: guest,
      kind: 'vm' as const,
      state: r?.state ?? 'stopped',
      node: r?.node ?? null,
      with: null,
      requirements: reqs.value,
    });
  };

  const requireEngine = async (o: Opened): Promise<Result<HaStatus>> => {
    const s = await engineStatus(o);
    if (!s.ok) {
      return s;
    }
    if (!s.value) {
      return err(
        'ha.not-enabled',
        `HA is not enabled on ${o.record.name}.`,
        `Enable it first: quorate ha enable ${o.record.name}`,
      );
    }
    return ok(s.value);
  };

  const resourceOf = (s: HaStatus, id: string, cluster: string): Result<HaResource> => {
    const r = s.resources.find((x) => x.id === id);
    return r
      ? ok(r)
      : err(
          'ha.unknown-resource',
          `${cluster} has no HA resource "${id}" (it has: ${s.resources.map((x) => x.id).join(', ') || 'none'}).`,
          `List them: quorate ha status ${cluster}`,
        );
  };

  /** Poll the engine until `pred` holds (or the time is up); returns the last status read. */
  const waitFor = async (o: Opened, pred: (s: HaStatus) => boolean, timeoutMs: number): Promise<HaStatus | null> => {
    const end = Date.now() + timeoutMs;
    let last: HaStatus | null = null;
    for (;;) {
      const s = await o.engine.status();
      if (s.ok) {
        last = s.value;
        if (pred(s.value)) {
          return s.value;
        }
      }
      if (Date.now() > end) {
        return last;
      }
      await sleep(500);
    }
  };

  const progress = (cluster: string, node: string, line: string): void => {
    const p: HaProgressLine = { cluster, node, line, at: deps.now() };
    deps.progress?.(p);
    deps.events.emit('onDidHaProgress', p);
  };

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
    const o = await open(cluster);
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
        const v = view(cluster, s, null);
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

  const markEnabled = async (cluster: string, fencing: boolean): Promise<void> => {
    await mkdir(join(deps.home, 'ha'), { recursive: true, mode: 0o700 });
    await writeFileAtomicOrThrow(
      markerPath(cluster),
      `${JSON.stringify({ engine: 'pacemaker', fencing, enabledAt: deps.now() }, null, 2)}\n`,
    );
  };

  const isMarked = async (cluster: string): Promise<boolean> =>
    readFile(markerPath(cluster), 'utf8').then(
      () => true,
      () => false,
    );

  return {
    async haStatus({ cluster }) {
      const f = followed.get(cluster);
      if (f?.latest && deps.now() - f.latest.updatedAt < 2_000) {
        return ok(f.latest);
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

    async haEnable({ cluster, noFencing, confirm }) {
      return withCluster(cluster, async (o) => {
        if (o.unreachable.length > 0) {
          return err(
            'ha.node-unreachable',
            `cannot reach ${o.unreachable.map((u) => `${u.node} (${u.message})`).join(', ')}: Pacemaker must be set up on every node.`,
            'Bring those nodes back, then run quorate ha enable again.',
          );
        }
        const q = await requireQuorum(o);
        if (!q.ok) {
          return q;
        }
        const before = await engineStatus(o);
        if (!before.ok) {
          return before;
        }
        const fenceDevices = before.value?.resources.filter((r) => r.agent.startsWith('stonith:')) ?? [];
        const fencingWorks = before.value?.fencing === true && fenceDevices.length > 0;
        if (!fencingWorks && !noFencing) {
          return err(
            'ha.fencing-required',
            `${FENCING_EXPLANATION} ${cluster} has no fence device. What exists: ${FENCING_OPTIONS.join(' ')}`,
            `Set up one of those, or run without fencing (not safe for a split) by typing the cluster name: --no-fencing --confirm ${cluster}`,
          );
        }
        if (noFencing && confirm !== cluster) {
          return err(
            'ha.confirm-mismatch',
            `running without fencing needs the cluster name typed as confirmation (got ${confirm === undefined ? 'nothing' : `"${confirm}"`}).`,
            `Type it: --no-fencing --confirm ${cluster}`,
          );
        }
        const facts = await o.engine.inspect();
        if (!facts.ok) {
          return facts;
        }
        const missing = facts.value.filter((f) => f.missing.length > 0);
        const noApt = missing.filter((f) => !f.apt);
        if (noApt.length > 0) {
          return err(
            'ha.packages-missing',
            `${noApt.map((f) => `${f.node} lacks ${f.missing.join(', ')}`).join('; ')}, and has no apt-get to install them.`,
            'Install pacemaker, pacemaker-cli-utils and resource-agents there with its package manager, then run quorate ha enable again.',
          );
        }
        const installed: string[] = [];
        for (const f of missing) {
          progress(
            cluster,
            f.node,
            `installing pacemaker, pacemaker-cli-utils, resource-agents (missing: ${f.missing.join(', ')})`,
          );
          const r = await o.engine.install(f.node, (node, line) => progress(cluster, node, line));
          if (!r.ok) {
            return r;
          }
          installed.push(f.node);
        }
        if (missing.length > 0) {
          const again = await o.engine.inspect();
          const still = again.ok ? again.value.filter((f) => f.missing.length > 0) : [];
          if (!again.ok || still.length > 0) {
            return err(
              'ha.packages-missing',
              `after apt-get, ${still.map((f) => `${f.node} still lacks ${f.missing.join(', ')}`).join('; ') || 'a node could not be read'}.`,
              'Install pacemaker, pacemaker-cli-utils and resource-agents by hand there, then run quorate ha enable again.',
            );
          }
        }
        const started: string[] = [];
        const starts = await Promise.all(
          o.nodes.map(async (n) => {
            progress(cluster, n.node, 'starting pacemakerd');
            return { node: n.node, r: await o.engine.start(n.node) };
          }),
        );
        for (const s of starts) {
          if (!s.r.ok) {
            return s.r;
          }
          if (s.r.value === 'started') {
            started.push(s.node);
          }
        }
        const names = o.nodes.map((n) => n.node);
        progress(cluster, names[0] ?? '', 'waiting for Pacemaker to elect its Designated Controller');
        const settled = await waitFor(
          o,
          (s) => s.dc !== null && names.every((n) => s.nodes.some((x) => x.name === n && x.online)),
          deps.dcTimeoutMs ?? 180_000,
        );
        if (!settled || settled.dc === null) {
          return err(
            'ha.no-dc',
            `Pacemaker elected no Designated Controller with every node online (last seen: ${settled ? settled.nodes.map((n) => `${n.name} ${n.online ? 'online' : 'offline'}`).join(', ') : 'no answer'}).`,
            'Look at /var/log/pacemaker/pacemaker.log on the nodes, then run quorate ha enable again.',
          );
        }
        const dcs = await Promise.all(
          o.nodes.map(async (n) =>
            createPacemakerEngine([n])
              .status()
              .then((s) => (s.ok ? s.value.dc : null)),
          ),
        );
        if (new Set(dcs).size !== 1) {
          return err(
            'ha.no-dc',
            `the nodes do not agree on one Designated Controller (${o.nodes.map((n, i) => `${n.node}: ${dcs[i] ?? 'none'}`).join(', ')}).`,
            'Wait a moment and run quorate ha enable again.',
          );
        }
        const wasEnabled =
          started.length === 0 &&
          installed.length === 0 &&
          (await isMarked(cluster)) &&
          (fencingWorks || before.value?.fencing === false);
        const properties = await o.engine.configure({ fencing: !noFencing });
        if (!properties.ok) {
          return properties;
        }
        // A node in Quorate's maintenance mode gets no resource: Pacemaker's standby is how that is said.
        const marks = await loadMarks(deps.home, cluster);
        for (const m of marks) {
          if (!settled.nodes.some((n) => n.name === m.node && n.standby)) {
            const sb = await o.engine.standby(m.node, true);
            if (!sb.ok) {
              return sb;
            }
          }
        }
        await markEnabled(cluster, !noFencing);
        const notes: string[] = [];
        if (wasEnabled) {
          notes.push(
            `HA was already enabled on ${cluster}: Pacemaker runs on every node; nothing was installed or started.`,
          );
        }
        for (const m of marks) {
          notes.push(
            `${m.node} is in maintenance mode: it is in Pacemaker standby, so no resource runs there until its maintenance ends.`,
          );
        }
        const maint = settled.nodes.filter(
          (n) => (n.maintenance || n.standby) && !marks.some((m) => m.node === n.name),
        );
        for (const n of maint) {
          notes.push(
            `${n.name} is in ${n.maintenance ? 'maintenance' : 'standby'}: Pacemaker places no resource there until it is back (quorate ha unstandby ${cluster} --node ${n.name}).`,
          );
        }
        void follow(cluster);
        return ok({
          cluster,
          engine: 'pacemaker' as const,
          alreadyEnabled: wasEnabled,
          installed,
          started,
          dc: settled.dc,
          properties: properties.value,
          fencing: {
            enabled: !noFencing,
            explanation: FENCING_EXPLANATION,
            options: FENCING_OPTIONS,
          },
          notes,
        });
      });
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
        const q = await requireQuorum(o);
        if (!q.ok) {
          return q;
        }
        const s = await requireEngine(o);
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
        const q = await requireQuorum(o);
        if (!q.ok) {
          return q;
        }
        const s = await requireEngine(o);
        if (!s.ok) {
          return s;
        }
        const r = resourceOf(s.value, id, cluster);
        if (!r.ok) {
          return r;
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
        const q = await requireQuorum(o);
        if (!q.ok) {
          return q;
        }
        const s = await requireEngine(o);
        if (!s.ok) {
          return s;
        }
        const r = resourceOf(s.value, id, cluster);
        if (!r.ok) {
          return r;
        }
        const inError = refuseInErrorState(r.value.engineState, state, id);
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
        const q = await requireQuorum(o);
        if (!q.ok) {
          return q;
        }
        const s = await requireEngine(o);
        if (!s.ok) {
          return s;
        }
        const r = resourceOf(s.value, id, cluster);
        if (!r.ok) {
          return r;
        }
        const target = s.value.nodes.find((n) => n.name === to);
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
        const q = await requireQuorum(o);
        if (!q.ok) {
          return q;
        }
        const s = await requireEngine(o);
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

    async refresh() {
      if (!deps.watch) {
        return;
      }
      const clusters = await listClusters(deps.home);
      for (const c of clusters) {
        // Every Proxmox node runs ha-manager; Pacemaker only where `ha enable` ran.
        if (c.provider === 'pve' || (await isMarked(c.name))) {
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

  /** The resource `ha add` asked for, checked on every node (subnet, address free, unit present, libvirt). */
  async function specFor(
    o: Opened,
    p: { cluster: string; ip?: string; service?: string; vm?: string; id?: string },
    facts: readonly HaNodeFacts[],
  ): Promise<Result<HaResourceSpec>> {
    if (p.ip !== undefined) {
      const c = parseCidr(p.ip);
      if (!c) {
        return err('ha.bad-ip', `"${p.ip}" is not an IPv4 address`, 'Use a form like --ip 198.18.0.100/24.');
      }
      const prefixes = facts.flatMap((f) => f.addresses.filter((a) => c.prefix === null || a.prefix === c.prefix));
      const onNet = facts.map((f) => ({
        node: f.node,
        addr:
          c.prefix !== null
            ? addressOnSubnet(f.addresses, c.ip, c.prefix)
            : f.addresses.find((a) => addressOnSubnet([a], c.ip, a.prefix)),
      }));
      const off = onNet.filter((n) => !n.addr);
      if (off.length === onNet.length || prefixes.length === 0) {
        return err(
          'ha.ip-outside-subnets',
          `${p.ip} is outside every node's subnet (${facts.map((f) => `${f.node}: ${f.addresses.map((a) => `${a.address}/${a.prefix}`).join(', ')}`).join('; ')}): no node could answer for it.`,
          'Pick a free address on the network the nodes share.',
        );
      }
      if (off.length > 0) {
        return err(
          'ha.ip-outside-subnets',
          `${p.ip} is outside the subnet of ${off.map((n) => n.node).join(', ')}: the IP could not move there.`,
          'Pick a free address on a network every node has.',
        );
      }
      const first = onNet[0]?.addr;
      const prefix = c.prefix ?? first?.prefix ?? 24;
      if (isNetworkOrBroadcast(c.ip, prefix) || facts.some((f) => f.addresses.some((a) => a.address === c.ip))) {
        return err(
          'ha.ip-in-use',
          `${c.ip} is a node's own address or the subnet's network/broadcast address.`,
          'Pick a free address.',
        );
      }
      const prober = onNet[0];
      if (prober?.addr) {
        const used = await o.engine.addressInUse(prober.node, c.ip, prober.addr.dev);
        if (!used.ok) {
          return used;
        }
        if (used.value) {
          return err(
            'ha.ip-in-use',
            `${c.ip} is already in use on the network (it answered ${prober.node}'s probe): a floating IP there would clash with that machine.`,
            'Pick a free address (nothing must answer arping/ping on it).',
          );
        }
      }
      return ok({ kind: 'ip', id: p.id ?? idFor({ kind: 'ip', ip: c.ip }), ip: c.ip, prefix });
    }
    if (p.service !== undefined) {
      const unit = p.service;
      const found = await Promise.all(
        o.nodes.map(async (n) => ({ node: n.node, r: await o.engine.unitOn(n.node, unit) })),
      );
      for (const f of found) {
        if (!f.r.ok) {
          return f.r;
        }
      }
      const absent = found.filter((f) => f.r.ok && f.r.value === null).map((f) => f.node);
      if (absent.length > 0) {
        return err(
          'ha.unit-missing',
          `the service ${unit} does not exist on ${absent.join(', ')}: Pacemaker could not start it there.`,
          'Install the service on every node first (same unit name), then add it.',
        );
      }
      const cls =
        found.every((f) => f.r.ok && f.r.value === 'systemd') && facts.every((f) => f.systemd) ? 'systemd' : 'lsb';
      return ok({ kind: 'service', id: p.id ?? idFor({ kind: 'service', unit }), unit, class: cls });
    }
    const vm = p.vm as string;
    const noLibvirt = facts.filter((f) => !f.libvirt).map((f) => f.node);
    if (noLibvirt.length > 0) {
      return err(
        'ha.no-libvirt',
        `libvirt (virsh and ocf:heartbeat:VirtualDomain) is missing on ${noLibvirt.join(', ')}.`,
        'Install libvirt-daemon-system on every node and keep the guest on shared storage, then add it.',
      );
    }
    const name =
      vm
        .split('/')
        .pop()
        ?.replace(/\.xml$/, '') ?? 'guest';
    return ok({ kind: 'vm', id: p.id ?? idFor({ kind: 'vm', name }), config: vm });
  }
}
