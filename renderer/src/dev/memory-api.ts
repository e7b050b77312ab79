/**
 * DEVELOPMENT ONLY: an in-memory stand-in for the engine so the renderer can be worked on without
 * one. Loaded by `api.ts` only under `import.meta.env.DEV` with no `window.quorate`, so production
 * builds never contain it. It simulates, it does not manage anything; the real API is the engine's
 * (Electron main or `quorate ui`). `window.__quorateDev` lets a developer cut and heal nodes.
 * Over 400 lines on purpose: it stands in for the whole contract, one method per handler, and is never
 * shipped.
 */
import type {
  ApiEventName,
  ClusterStatus,
  LinkHealth,
  Machine,
  Notice,
  OperationPlan,
  PreflightCheck,
  PreflightReport,
  QuorateEvents,
  QuorateWindowApi,
  StepState,
  TimelineEntry,
  UnfinishedOperation,
} from '../../../engine/api/contract';
import { createQuorateApi } from '../../../engine/api/contract';
import type { Result } from '../../../engine/result';
import { err, ok } from '../../../engine/result';
import { canLoseNow, nodeId, quorumSummary, type VotequorumConfig } from '../../../engine/model';

type Listener = (payload: unknown) => void;

/** The demo cluster as votequorum reads it, so every figure below is engine/model's. */
function demoConfig(
  nodes: readonly { name: string; nodeid: number; votes: number }[],
  qdevice: ClusterStatus['qdevice'],
): VotequorumConfig {
  return {
    nodes: nodes.map((n) => ({ name: n.name, nodeid: nodeId(n.nodeid), votes: n.votes })),
    twoNode: nodes.length === 2 && !qdevice,
    lastManStanding: false,
    lastManStandingWindowMs: 10_000,
    autoTieBreaker: false,
    autoTieBreakerNode: 'lowest',
    ...(qdevice
      ? {
          qdevice: {
            model: 'net' as const,
            votes: qdevice.votes,
            host: qdevice.host,
            algorithm: qdevice.algorithm,
            tieBreaker: 'lowest' as const,
          },
        }
      : {}),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const FP = [
  'SHA256:q3V0mX1kUQm0cYtq0Yb3f8m3bqk9v3kQm1u9b0JH7rA',
  'SHA256:Zp8x3mNqT2cW5sF1uJk0aB7dL4eR6yH9gV2oI3nM8tQ',
  'SHA256:m4Kc7Wq2Yx9Lr1Ne5Vb8Tj3Hf6Dg0Sa2Pz7Qu4Io1E',
  'SHA256:T8r2Kq6Wm1Xc9Vb3Nl5Jh7Gf4Dd0Ss2Aa8Pp6Oo1Ii3U',
  'SHA256:c1Dd2Ee3Ff4Gg5Hh6Ii7Jj8Kk9Ll0Mm1Nn2Oo3Pp4Qq5R',
];

interface DevControls {
  cut(node: string): void;
  heal(node: string): void;
}

declare global {
  interface Window {
    __quorateDev?: DevControls;
  }
}

/**
 * `demo`: `cluster` (a 3-node cluster and a spare), `interrupted` (the same, with a join of the spare
 * that another process left half-done), `fresh` (3 bootstrapped machines, no cluster), `empty`.
 */
export function createMemoryApi(scene: string): QuorateWindowApi {
  const demo = scene === 'interrupted' ? 'cluster' : scene;
  const listeners = new Map<string, Set<Listener>>();
  const emit = <E extends ApiEventName>(event: E, payload: QuorateEvents[E]): void => {
    for (const l of listeners.get(event) ?? []) {
      l(structuredClone(payload));
    }
  };
  const machines = new Map<string, Machine>();
  const mk = (i: number, state: Machine['state'], cluster: string | null): Machine => ({
    address: `198.18.0.${10 + i}`,
    port: 22,
    user: 'root',
    authKind: 'key',
    keyPath: '~/.ssh/id_ed25519',
    hostKey: { algorithm: 'ssh-ed25519', fingerprint: FP[i % FP.length]! },
    changedHostKey: null,
    state,
    trusted: state !== 'untrusted',
    addedAt: '2026-01-01T00:00:00.000Z',
    hostname: state === 'untrusted' ? null : `pve${i}`,
    os: state === 'untrusted' ? null : 'Debian GNU/Linux 12 (bookworm)',
    cluster,
    lastError: null,
  });
  if (demo === 'cluster') {
    for (const i of [1, 2, 3]) {
      machines.set(`198.18.0.${10 + i}`, mk(i, 'ready', 'homelab'));
    }
    machines.set('198.18.0.14', mk(4, 'ready', null));
  } else if (demo === 'qdevice') {
    for (const i of [1, 2, 3, 4]) {
      machines.set(`198.18.0.${10 + i}`, mk(i, 'ready', 'homelab'));
    }
    machines.set('198.18.0.15', { ...mk(5, 'ready', 'homelab'), hostname: 'qnetd' });
  } else if (demo === 'fresh') {
    for (const i of [1, 2, 3]) {
      machines.set(`198.18.0.${10 + i}`, mk(i, 'ready', null));
    }
  }
  const statuses = new Map<string, ClusterStatus>();
  const timelines = new Map<string, TimelineEntry[]>();
  const notices: Notice[] = [];
  const plans = new Map<string, { plan: OperationPlan; apply: () => void }>();
  /** Operation journals left unfinished, by cluster (what `findUnfinished` reads in the engine). */
  const journals = new Map<string, { op: UnfinishedOperation; apply: () => void; undo: () => void }>();
  let nextPlan = 1;
  const now = (): number => Date.now();

  const clusterStatus = (
    name: string,
    nodeNames: string[],
    offline: readonly string[] = [],
    qdevice: ClusterStatus['qdevice'] = null,
  ): ClusterStatus => {
    const nodes = nodeNames.map((n, i) => ({
      name: n,
      nodeid: i + 1,
      votes: 1,
      online: !offline.includes(n),
      machine: `198.18.0.${11 + i}`,
    }));
    const qv = qdevice ? qdevice.votes : 0;
    const cfg = demoConfig(nodes, qdevice);
    const { expectedVotes, quorum } = quorumSummary(cfg);
    const present =
      nodes.filter((n) => n.online).reduce((s, n) => s + n.votes, 0) +
      (qdevice && qdevice.flags.includes('A,V') ? qv : 0);
    const quorate = present >= quorum;
    const links: LinkHealth[] = [];
    for (let a = 0; a < nodes.length; a++) {
      for (let b = a + 1; b < nodes.length; b++) {
        const down = !nodes[a]!.online || !nodes[b]!.online;
        for (const linknumber of [0, 1] as const) {
          links.push({
            a: nodes[a]!.name,
            b: nodes[b]!.name,
            linknumber,
            state: down ? 'down' : 'up',
            rttMs: down ? null : 0.2 + 0.1 * (a + b) + linknumber * 0.15,
          });
        }
      }
    }
    return {
      name,
      state: quorate ? (offline.length > 0 ? 'degraded' : 'quorate') : 'inquorate',
      quorate,
      expectedVotes,
      totalVotes: present,
      quorum,
      canLose: canLoseNow({ quorate, totalVotes: present, quorum, members: nodes.filter((n) => n.online) }),
      nodes,
      qdevice,
      links,
      reporter: nodes.find((n) => n.online)?.name ?? null,
      updatedAt: now(),
    };
  };
  const addTimeline = (entry: TimelineEntry): void => {
    timelines.set(entry.cluster, [entry, ...(timelines.get(entry.cluster) ?? [])]);
    emit('onDidAddTimelineEntry', entry);
  };
  if (demo === 'qdevice') {
    statuses.set(
      'homelab',
      clusterStatus('homelab', ['pve1', 'pve2', 'pve3', 'pve4'], [], {
        host: '198.18.0.15',
        algorithm: 'ffsplit',
        votes: 1,
        flags: 'A,V,NMW',
      }),
    );
    timelines.set('homelab', [
      { cluster: 'homelab', at: now() - 120_000, severity: 'info', text: 'QDevice on 198.18.0.15 votes (ffsplit)' },
      { cluster: 'homelab', at: now() - 300_000, severity: 'info', text: 'pve4 joined the cluster' },
    ]);
  }
  if (scene === 'interrupted') {
    // `quorate join homelab 198.18.0.14` whose terminal died after 3 of its 7 steps.
    const steps = [
      { id: 'agent@pve4', machine: 'pve4', title: 'Check the agent on pve4' },
      { id: 'authkey@pve4', machine: 'pve4', title: 'Copy the authkey to pve4' },
      { id: 'conf@pve1', machine: 'pve1', title: 'Add pve4 to corosync.conf on pve1' },
      { id: 'conf@pve4', machine: 'pve4', title: 'Install corosync.conf on pve4' },
      { id: 'reload@pve1', machine: 'pve1', title: 'Reload corosync on pve1' },
      { id: 'start@pve4', machine: 'pve4', title: 'Start corosync on pve4' },
      { id: 'wait-quorum', machine: 'pve1', title: 'Wait until 4 nodes are quorate' },
    ];
    const started = new Date(now() - 25 * 60_000).toISOString();
    journals.set('homelab', {
      op: {
        kind: 'cluster.join',
        cluster: 'homelab',
        request: 'join 198.18.0.14',
        state: 'running',
        startedAt: started,
        updatedAt: started,
        steps: steps.map((st, i) => ({ ...st, state: i < 3 ? ('done' as const) : ('pending' as const) })),
        done: 3,
        error: null,
        runningIn: null,
        planId: 'unfinished-join-homelab',
      },
      apply: () => {
        statuses.set('homelab', clusterStatus('homelab', ['pve1', 'pve2', 'pve3', 'pve4']));
        const m = machines.get('198.18.0.14');
        if (m) {
          machines.set('198.18.0.14', { ...m, cluster: 'homelab' });
        }
      },
      undo: () => {},
    });
  }
  if (demo === 'cluster') {
    statuses.set('homelab', clusterStatus('homelab', ['pve1', 'pve2', 'pve3']));
    const t = now();
    timelines.set('homelab', [
      { cluster: 'homelab', at: t - 60_000, severity: 'info', text: 'pve3 joined the cluster' },
      { cluster: 'homelab', at: t - 3_600_000, severity: 'warning', text: 'pve3 left the cluster (link 0 down)' },
      {
        cluster: 'homelab',
        at: t - 86_400_000,
        severity: 'info',
        text: 'Cluster homelab created with pve1, pve2, pve3',
      },
    ]);
  }
  const offline = new Map<string, Set<string>>();
  const setStatus = (name: string): void => {
    const cur = statuses.get(name);
    if (!cur) {
      return;
    }
    const before = cur.quorate;
    const next = clusterStatus(
      name,
      cur.nodes.map((n) => n.name),
      [...(offline.get(name) ?? [])],
      cur.qdevice,
    );
    statuses.set(name, next);
    emit('onDidChangeQuorum', { cluster: name, status: next });
    if (before && !next.quorate) {
      const n: Notice = {
        kind: 'quorum-lost',
        cluster: name,
        at: now(),
        severity: 'critical',
        title: `${name}: quorum lost`,
        body: `No partition of ${name} holds a majority of votes. Nodes block changes to shared configuration until quorum returns.`,
        guidance: [
          `Bring back the missing nodes (${[...(offline.get(name) ?? [])].join(', ')}): power, cable, switch port, or firewall on UDP 5405–5412.`,
          'Quorum returns by itself as soon as a majority of votes can talk to each other again.',
          'Only if those nodes are gone for good: lower expected votes. Never while they might still be running.',
        ],
      };
      notices.unshift(n);
      emit('onDidNotify', n);
      addTimeline({ cluster: name, at: now(), severity: 'critical', text: 'Quorum lost' });
    } else if (!before && next.quorate) {
      const n: Notice = {
        kind: 'quorum-regained',
        cluster: name,
        at: now(),
        severity: 'info',
        title: `${name}: quorum regained`,
        body: `${name} is quorate again.`,
        guidance: [],
      };
      emit('onDidNotify', n);
      addTimeline({ cluster: name, at: now(), severity: 'info', text: 'Quorum regained' });
    }
  };
  window.__quorateDev = {
    cut(node) {
      for (const [name, s] of statuses) {
        if (!s.nodes.some((n) => n.name === node)) {
          continue;
        }
        offline.set(name, new Set([...(offline.get(name) ?? []), node]));
        const n: Notice = {
          kind: 'node-left',
          cluster: name,
          node,
          at: now(),
          severity: 'warning',
          title: `${name}: ${node} left the cluster`,
          body: `${node} is no longer in the membership of ${name}.`,
          guidance: [`Check that ${node} is powered on and its cluster network links are up.`],
        };
        emit('onDidNotify', n);
        addTimeline({ cluster: name, at: now(), severity: 'warning', text: `${node} left the cluster` });
        setStatus(name);
      }
    },
    heal(node) {
      for (const [name] of statuses) {
        offline.get(name)?.delete(node);
        addTimeline({ cluster: name, at: now(), severity: 'info', text: `${node} joined the cluster` });
        emit('onDidNotify', {
          kind: 'node-joined',
          cluster: name,
          node,
          at: now(),
          severity: 'info',
          title: `${name}: ${node} joined`,
          body: `${node} is back.`,
          guidance: [],
        });
        setStatus(name);
      }
    },
  };

  const makePlan = (
    kind: OperationPlan['kind'],
    cluster: string,
    summary: string,
    hosts: string[],
    apply: () => void,
    extra: Partial<OperationPlan> = {},
  ): Result<OperationPlan> => {
    const id = `dev-plan-${nextPlan++}`;
    const cur = statuses.get(cluster);
    const n = hosts.length;
    const plan: OperationPlan = {
      id,
      kind,
      cluster,
      summary,
      files: hosts.map((m) => ({
        machine: m,
        changes: [
          { path: '/etc/corosync/corosync.conf', action: cur ? 'modify' : 'create' },
          ...(cur ? [] : [{ path: '/etc/corosync/authkey', action: 'create' as const }]),
        ],
      })),
      steps: hosts
        .flatMap((m) => [
          { id: `install-conf@${m}`, machine: m, title: `Install corosync.conf on ${m}` },
          { id: `start@${m}`, machine: m, title: `Start corosync on ${m}` },
        ])
        .concat([{ id: 'wait-quorum', machine: hosts[0] ?? '', title: `Wait until ${n} nodes are quorate` }]),
      before: cur
        ? {
            expectedVotes: cur.expectedVotes,
            totalVotes: cur.totalVotes,
            quorum: cur.quorum,
            canLose: cur.canLose,
            nodes: cur.nodes.length,
          }
        : null,
      after: quorumSummary(
        demoConfig(
          hosts.map((h, i) => ({ name: h, nodeid: i + 1, votes: 1 })),
          null,
        ),
      ),
      warnings:
        n === 2
          ? [
              'Two nodes: with two_node, either may continue alone, and neither survives a network split safely. Add a QDevice.',
            ]
          : [],
      instructions: [],
      ...extra,
    };
    plans.set(id, { plan, apply });
    return ok(plan);
  };

  const preflight = (
    addresses: readonly string[],
    links: readonly { linknumber: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7; network: string }[],
  ): PreflightReport => {
    const names = addresses.map((a) => machines.get(a)?.hostname ?? a);
    const checks: PreflightCheck[] = [];
    for (const n of names) {
      checks.push({
        id: 'preflight.corosync-version',
        subject: n,
        status: 'pass',
        measured: '3.1.7',
        threshold: '≥ 3.1',
        hint: '',
      });
    }
    checks.push({
      id: 'preflight.clock-offset',
      subject: names[2] ?? names[0]!,
      status: 'warn',
      measured: '+212 ms',
      threshold: '< 200 ms',
      hint: 'Enable NTP on this machine: `timedatectl set-ntp true`, or install chrony.',
    });
    const latency = links.map((l) => ({
      linknumber: l.linknumber,
      network: l.network,
      pairs: names.flatMap((from, i) =>
        names
          .filter((to) => to !== from)
          .map((to, j) => {
            const rtt = 0.18 + 0.07 * (i + j) + l.linknumber * 0.9 + (to === names[2] && l.linknumber === 1 ? 3.2 : 0);
            return {
              from,
              to,
              udpReachable: true,
              rttAvgMs: rtt,
              jitterMs: rtt / 10,
              lossPercent: 0,
              status: rtt > 3 ? ('warn' as const) : ('pass' as const),
            };
          }),
      ),
    }));
    for (const l of latency) {
      const worst = l.pairs.reduce((a, b) => (b.rttAvgMs > a.rttAvgMs ? b : a));
      checks.push({
        id: 'preflight.latency',
        subject: `link${l.linknumber} worst pair ${worst.from} ↔ ${worst.to}`,
        status: worst.status,
        measured: `${worst.rttAvgMs.toFixed(2)} ms`,
        threshold: '< 3 ms (fail ≥ 10 ms)',
        hint:
          worst.status === 'pass'
            ? ''
            : 'Corosync wants a low-latency LAN. Check for Wi-Fi, VPN hops or a saturated switch on this network.',
      });
    }
    checks.push({
      id: 'preflight.guests',
      subject: 'cluster',
      status: 'pass',
      measured: 'no guests',
      threshold: 'none on joining nodes',
      hint: '',
    });
    if (addresses.length === 2) {
      checks.push({
        id: 'preflight.node-count',
        subject: 'cluster',
        status: 'warn',
        measured: '2 nodes',
        threshold: '≥ 3 nodes',
        hint: 'Two nodes cannot tell a dead peer from a cut cable. Add a third node or a QDevice.',
      });
    }
    return {
      ok: !checks.some((c) => c.status === 'fail'),
      checks,
      latency,
      clocks: names.map((m, i) => ({
        machine: m,
        offsetMs: i === 2 ? 212 : 3 - i * 4.5,
        ntpSynchronized: i !== 2,
        ntp: i === 2 ? 'not synchronised' : 'synchronised',
        status: i === 2 ? ('warn' as const) : ('pass' as const),
      })),
      versions: names.map((m) => ({
        machine: m,
        hostname: m,
        os: 'Debian GNU/Linux 12 (bookworm)',
        corosync: '3.1.7',
        qdevice: true,
        pve: null,
      })),
      measuredAt: now(),
    };
  };

  const handlers: Record<string, (p: never) => Promise<Result<unknown>>> = {
    listMachines: async () => ok([...machines.values()]),
    addMachine: async (p: {
      address: string;
      port?: number;
      user: string;
      auth: { kind: 'password' | 'key'; keyPath?: string; password?: string };
    }) => {
      await sleep(400);
      if (p.auth.kind === 'password' && p.auth.password === 'wrong') {
        return err(
          'ssh.auth-failed',
          `${p.user}@${p.address} refused the password.`,
          'Check the user name and password, then retry.',
        );
      }
      const i = machines.size + 1;
      const m: Machine = {
        ...mk(i, 'untrusted', null),
        address: p.address,
        port: p.port ?? 22,
        user: p.user,
        authKind: p.auth.kind,
        keyPath: p.auth.keyPath ?? null,
      };
      machines.set(p.address, m);
      emit('onDidChangeMachine', { machine: m, removed: false });
      return ok(m);
    },
    trustMachine: async (p: { address: string; fingerprint: string }) => {
      const m = machines.get(p.address);
      if (!m) {
        return err('machines.unknown', `${p.address} is not a known machine.`, 'Add it first.');
      }
      if (m.hostKey?.fingerprint !== p.fingerprint) {
        return err(
          'ssh.host-key-mismatch',
          `${p.address} now offers a different host key.`,
          'Someone may be intercepting the connection. Check the machine’s key on its console.',
        );
      }
      await sleep(300);
      const t: Machine = {
        ...m,
        state: 'trusted',
        hostname: `pve${machines.size}`,
        os: 'Debian GNU/Linux 12 (bookworm)',
      };
      machines.set(p.address, t);
      return ok(t);
    },
    removeMachine: async (p: { address: string }) => {
      const m = machines.get(p.address);
      if (m?.cluster) {
        return err(
          'machines.in-cluster',
          `${p.address} is a node of ${m.cluster}.`,
          'Remove it from the cluster first.',
        );
      }
      machines.delete(p.address);
      return ok(null);
    },
    bootstrap: async (p: { addresses: string[] }) => {
      const phases = ['connect', 'packages', 'agent', 'verify'] as const;
      const out = await Promise.all(
        p.addresses.map(async (address, k) => {
          for (let i = 0; i < phases.length; i++) {
            await sleep(350 + k * 120);
            emit('onDidBootstrapProgress', {
              address,
              phase: phases[i]!,
              percent: (i + 1) * 24,
              line: `${phases[i]}: ${['ssh root@' + address, 'apt-get install -y corosync corosync-qdevice', 'installing /usr/local/lib/quorate/agent.cjs', 'agent answers'][i]}`,
              error: null,
              at: now(),
            });
          }
          const m = machines.get(address);
          if (m) {
            machines.set(address, { ...m, state: 'ready' });
            emit('onDidChangeMachine', { machine: { ...m, state: 'ready' }, removed: false });
          }
          emit('onDidBootstrapProgress', {
            address,
            phase: 'done',
            percent: 100,
            line: 'ready',
            error: null,
            at: now(),
          });
          return { address, ok: true, error: null };
        }),
      );
      return ok({ machines: out });
    },
    listNetworks: async (p: { addresses: string[] }) =>
      ok([
        { network: '198.18.0.0/24', addresses: Object.fromEntries(p.addresses.map((a) => [a, a])) },
        {
          network: '198.19.1.0/24',
          addresses: Object.fromEntries(p.addresses.map((a) => [a, a.replace('198.18.0.', '198.19.1.')])),
        },
      ]),
    runPreflight: async (p: { addresses: string[]; links: { linknumber: 0; network: string }[] }) => {
      await sleep(900);
      return ok(preflight(p.addresses, p.links));
    },
    planCreateCluster: async (p: { name: string; nodes: { address: string }[] }) => {
      if (statuses.has(p.name)) {
        return err('ops.cluster-exists', `A cluster named ${p.name} already exists.`, 'Choose another name.');
      }
      const hosts = p.nodes.map((n) => machines.get(n.address)?.hostname ?? n.address);
      return makePlan('cluster.create', p.name, `Create ${p.name} with ${hosts.join(', ')}.`, hosts, () => {
        statuses.set(p.name, clusterStatus(p.name, hosts));
        for (const n of p.nodes) {
          const m = machines.get(n.address);
          if (m) {
            machines.set(n.address, { ...m, cluster: p.name });
          }
        }
        addTimeline({ cluster: p.name, at: now(), severity: 'info', text: `Cluster ${p.name} created` });
      });
    },
    planJoinCluster: async (p: { cluster: string; addresses: string[] }) => {
      const cur = statuses.get(p.cluster);
      if (!cur) {
        return err('clusters.unknown', `No cluster ${p.cluster}.`, 'Reload.');
      }
      const hosts = [...cur.nodes.map((n) => n.name), ...p.addresses.map((a) => machines.get(a)?.hostname ?? a)];
      return makePlan('cluster.join', p.cluster, `Join ${p.addresses.join(', ')} to ${p.cluster}.`, hosts, () =>
        statuses.set(p.cluster, clusterStatus(p.cluster, hosts)),
      );
    },
    planRemoveNode: async (p: { cluster: string; node: string; force: boolean }) => {
      const cur = statuses.get(p.cluster);
      if (!cur) {
        return err('clusters.unknown', `No cluster ${p.cluster}.`, 'Reload.');
      }
      const node = cur.nodes.find((n) => n.name === p.node);
      if (node?.online && !p.force) {
        return err(
          'ops.node-online',
          `${p.node} is still a member of ${p.cluster}.`,
          `Power ${p.node} off first (it must never come back with its old corosync.conf), or tick "force".`,
        );
      }
      const hosts = cur.nodes.map((n) => n.name).filter((n) => n !== p.node);
      return makePlan(
        'cluster.remove',
        p.cluster,
        `Remove ${p.node} from ${p.cluster}.`,
        hosts,
        () => statuses.set(p.cluster, clusterStatus(p.cluster, hosts)),
        {
          instructions: [
            `Make sure ${p.node} is powered off and will not boot into this cluster again.`,
            `Reinstall ${p.node} or delete /etc/corosync/* on it before using it elsewhere.`,
          ],
        },
      );
    },
    planSetupQdevice: async (p: {
      cluster: string;
      host: string;
      algorithm: 'ffsplit' | 'lms';
      consentOddCount: boolean;
    }) => {
      const cur = statuses.get(p.cluster);
      if (!cur) {
        return err('clusters.unknown', `No cluster ${p.cluster}.`, 'Reload.');
      }
      if (cur.nodes.length % 2 === 1 && !p.consentOddCount) {
        return err(
          'ops.qdevice-odd-count',
          `${p.cluster} has an odd number of nodes.`,
          'Confirm the odd-count warning to go on anyway.',
        );
      }
      const hosts = cur.nodes.map((n) => n.name);
      return makePlan(
        'qdevice.setup',
        p.cluster,
        `Set up QDevice on ${p.host} (${p.algorithm}) for ${p.cluster}.`,
        hosts,
        () => {
          statuses.set(
            p.cluster,
            clusterStatus(p.cluster, hosts, [], {
              host: p.host,
              algorithm: p.algorithm,
              votes: p.algorithm === 'lms' ? hosts.length - 1 : 1,
              flags: 'A,V,NMW',
            }),
          );
        },
      );
    },
    planRemoveQdevice: async (p: { cluster: string }) => {
      const cur = statuses.get(p.cluster);
      if (!cur) {
        return err('clusters.unknown', `No cluster ${p.cluster}.`, 'Reload.');
      }
      const hosts = cur.nodes.map((n) => n.name);
      return makePlan('qdevice.remove', p.cluster, `Remove the QDevice from ${p.cluster}.`, hosts, () =>
        statuses.set(p.cluster, clusterStatus(p.cluster, hosts)),
      );
    },
    planSetExpected: async (p: { cluster: string; votes: number; confirm: string }) => {
      if (p.confirm !== p.cluster) {
        return err(
          'ops.confirm-mismatch',
          'The typed name does not match the cluster name.',
          `Type ${p.cluster} exactly.`,
        );
      }
      const cur = statuses.get(p.cluster);
      if (!cur) {
        return err('clusters.unknown', `No cluster ${p.cluster}.`, 'Reload.');
      }
      return makePlan(
        'expected',
        p.cluster,
        `Set expected votes of ${p.cluster} to ${p.votes} until the next membership change.`,
        [cur.reporter ?? 'pve1'],
        () => {},
        { files: [] },
      );
    },
    runPlan: async (p: { planId: string }) => {
      const entry = plans.get(p.planId);
      if (!entry) {
        return err('ops.unknown-plan', 'That plan is no longer known to the engine.', 'Make the plan again.');
      }
      plans.delete(p.planId);
      const steps = entry.plan.steps;
      for (let i = 0; i < steps.length; i++) {
        const s = steps[i]!;
        emit('onDidUpdateStep', {
          planId: p.planId,
          stepId: s.id,
          index: i,
          total: steps.length,
          state: 'running',
          line: null,
          error: null,
          at: now(),
        });
        await sleep(250);
        emit('onDidUpdateStep', {
          planId: p.planId,
          stepId: s.id,
          index: i,
          total: steps.length,
          state: 'done',
          line: `${s.title}: ok`,
          error: null,
          at: now(),
        });
      }
      entry.apply();
      const status = statuses.get(entry.plan.cluster);
      if (status) {
        emit('onDidChangeQuorum', { cluster: entry.plan.cluster, status });
      }
      return ok({
        planId: p.planId,
        ok: true,
        unfinished: false,
        steps: steps.map((s) => ({ id: s.id, state: 'done' as const })),
        error: null,
      });
    },
    planChangeLink: async (p: { cluster: string; linknumber: number; network: string; priority?: number }) => {
      const cur = statuses.get(p.cluster);
      if (!cur) {
        return err('clusters.unknown', `No cluster ${p.cluster}.`, 'Reload.');
      }
      const hosts = cur.nodes.map((n) => n.name);
      return makePlan(
        'cluster.link',
        p.cluster,
        `Set link ${p.linknumber} of ${p.cluster} to ${p.network} on every node${p.priority === undefined ? '' : ` (priority ${p.priority})`}.`,
        hosts,
        () => {},
      );
    },
    findUnfinished: async (p: { cluster: string }) => ok(journals.get(p.cluster)?.op ?? null),
    runUnfinished: async (p: { kind: UnfinishedOperation['kind']; cluster: string; rollback: boolean }) => {
      const j = journals.get(p.cluster);
      if (!j || j.op.kind !== p.kind) {
        return p.rollback
          ? err('ops.nothing-to-roll-back', `No unfinished ${p.kind} of ${p.cluster} to roll back.`, 'Nothing to do.')
          : err('ops.nothing-to-resume', `No unfinished ${p.kind} of ${p.cluster} to resume.`, 'Nothing to do.');
      }
      journals.delete(p.cluster);
      const all = j.op.steps;
      // Resume runs what is not done, in order; roll back undoes what is done, newest first.
      const todo = p.rollback
        ? all.filter((st) => st.state === 'done').reverse()
        : all.filter((st) => st.state !== 'done');
      const final = new Map(
        all.map((st) => [st.id, st.state === 'done' ? ('done' as StepState) : ('pending' as StepState)]),
      );
      for (const st of todo) {
        const index = all.indexOf(st);
        const update = (state: StepState, line: string | null): void =>
          emit('onDidUpdateStep', {
            planId: j.op.planId,
            stepId: st.id,
            index,
            total: all.length,
            state,
            line,
            error: null,
            at: now(),
          });
        update('running', null);
        await sleep(250);
        const state: StepState = p.rollback ? 'rolled-back' : 'done';
        update(state, `${st.title}: ${p.rollback ? 'undone' : 'ok'}`);
        final.set(st.id, state);
      }
      (p.rollback ? j.undo : j.apply)();
      const status = statuses.get(p.cluster);
      if (status) {
        emit('onDidChangeQuorum', { cluster: p.cluster, status });
      }
      return ok({
        planId: j.op.planId,
        ok: true,
        unfinished: false,
        steps: all.map((st) => ({ id: st.id, state: final.get(st.id)! })),
        error: null,
      });
    },
    listClusters: async () =>
      ok(
        [...statuses.values()].map((s) => ({
          name: s.name,
          state: s.state,
          nodes: s.nodes.map((n) => n.name),
          hasQdevice: s.qdevice !== null,
        })),
      ),
    clusterStatus: async (p: { cluster: string }) => {
      const s = statuses.get(p.cluster);
      return s ? ok(s) : err('clusters.unknown', `No cluster named ${p.cluster}.`, 'Reload the clusters list.');
    },
    listTimeline: async (p: { cluster: string }) => ok(timelines.get(p.cluster) ?? []),
    listNotices: async () => ok(notices),
    listEvents: async (p: { cluster: string }) =>
      ok({
        events: [...(timelines.get(p.cluster) ?? [])].reverse().map((e) => ({
          at: new Date(e.at).toISOString(),
          kind: e.kind ?? 'notice',
          node: e.node ?? null,
          message: e.text,
          severity: e.severity,
          source: e.source ?? 'monitor',
          opId: e.opId ?? null,
        })),
      }),
    readOperationJournal: async (p: { opId: string }) =>
      err('history.no-journal', `The dev API keeps no journal ${p.opId}.`, 'Run against the real engine.'),
    listRegisteredClusters: async () => ok({ clusters: [], damaged: [] }),
    adoptCluster: async (p: { from: string }) =>
      err(
        'adopt.not-in-cluster',
        `${p.from} is in no cluster (the dev API has none to adopt).`,
        'Run against the real engine.',
      ),
    forgetCluster: async () => ok(null),
  };
  return createQuorateApi(
    async (method, params) => {
      const h = handlers[method];
      if (!h) {
        return err('api.unknown-method', `No method ${method}`, 'Dev API is out of date.');
      }
      return structuredClone(await h(params as never));
    },
    (event, listener, options) => {
      let set = listeners.get(event);
      if (!set) {
        listeners.set(event, (set = new Set()));
      }
      set.add(listener);
      const off = (): void => {
        set.delete(listener);
      };
      options?.signal?.addEventListener('abort', off, { once: true });
      return off;
    },
  );
}
