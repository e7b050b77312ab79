import { describe, expect, it } from 'vitest';
import type { ClusterStatus, Machine, Notice, OperationPlan } from '../../engine/api/contract';
import { err, ok } from '../../engine/result';
import { ClustersState, votesPresent } from '../../renderer/src/state/clusters.svelte';
import { CreateWizard } from '../../renderer/src/state/create-wizard.svelte';
import { MachinesState } from '../../renderer/src/state/machines.svelte';
import { OperationRun } from '../../renderer/src/state/operation.svelte';
import { fakeApi } from './fake-api';

const machine = (address: string, state: Machine['state'], cluster: string | null = null): Machine => ({
  address,
  port: 22,
  user: 'root',
  authKind: 'password',
  keyPath: null,
  state,
  trusted: true,
  addedAt: '2026-01-01T00:00:00.000Z',
  cluster,
  lastError: null,
  hostKey: { algorithm: 'ssh-ed25519', fingerprint: `SHA256:${'A'.repeat(43)}` },
  changedHostKey: null,
  hostname: null,
  os: null,
});

const status = (name: string, online: boolean[], qdevice: ClusterStatus['qdevice'] = null): ClusterStatus => ({
  name,
  state: 'quorate',
  quorate: true,
  expectedVotes: online.length,
  totalVotes: online.length,
  quorum: 2,
  canLose: 1,
  nodes: online.map((o, i) => ({ name: `n${i + 1}`, nodeid: i + 1, votes: 1, online: o, machine: null })),
  qdevice,
  links: [],
  reporter: 'n1',
  updatedAt: 0,
});

const notice = (kind: Notice['kind'], severity: Notice['severity'], node?: string): Notice => ({
  kind,
  cluster: 'lab',
  at: 1,
  severity,
  title: kind,
  body: '',
  guidance: [],
  ...(node ? { node } : {}),
});

describe('MachinesState', () => {
  it('keeps per-machine bootstrap progress and log lines from events, and the final failure', async () => {
    const f = fakeApi({
      listMachines: () => ok([machine('198.18.0.11', 'trusted'), machine('198.18.0.12', 'trusted')]),
      bootstrap: async () => {
        f.emit('onDidBootstrapProgress', {
          address: '198.18.0.11',
          phase: 'packages',
          percent: 40,
          line: 'apt-get install corosync',
          error: null,
          at: 1,
        });
        f.emit('onDidBootstrapProgress', {
          address: '198.18.0.12',
          phase: 'connect',
          percent: 10,
          line: null,
          error: null,
          at: 1,
        });
        return ok({
          machines: [
            { address: '198.18.0.11', ok: true, error: null },
            {
              address: '198.18.0.12',
              ok: false,
              error: { code: 'ssh.sudo-failed', message: 'sudo refused', hint: 'add the user to sudoers' },
            },
          ],
        });
      },
    });
    const s = new MachinesState(f.api);
    const stop = new AbortController();
    s.listen(stop.signal);
    await s.load();
    await s.runBootstrap(['198.18.0.11', '198.18.0.12']);
    expect(s.bootstrap['198.18.0.11']).toMatchObject({
      percent: 100,
      phase: 'done',
      log: ['apt-get install corosync'],
    });
    expect(s.bootstrap['198.18.0.12']?.phase).toBe('failed');
    expect(s.bootstrap['198.18.0.12']?.error?.code).toBe('ssh.sudo-failed');
    stop.abort();
    expect(f.listeners('onDidBootstrapProgress')).toBe(0);
  });

  it('replaces a machine in place on change events and drops it on removal', async () => {
    const f = fakeApi({
      listMachines: () => ok([machine('198.18.0.11', 'trusted'), machine('198.18.0.12', 'trusted')]),
    });
    const s = new MachinesState(f.api);
    s.listen(new AbortController().signal);
    await s.load();
    f.emit('onDidChangeMachine', { machine: machine('198.18.0.11', 'ready'), removed: false });
    expect(s.list.map((m) => `${m.address}:${m.state}`)).toEqual(['198.18.0.11:ready', '198.18.0.12:trusted']);
    expect(s.unclustered.map((m) => m.address)).toEqual(['198.18.0.11']);
    f.emit('onDidChangeMachine', { machine: machine('198.18.0.12', 'trusted'), removed: true });
    expect(s.list.map((m) => m.address)).toEqual(['198.18.0.11']);
  });

  it('hands the auth failure back to the caller and adds nothing', async () => {
    const f = fakeApi({
      addMachine: () => err('ssh.auth-failed', 'root@198.18.0.11 refused the password', 'check it'),
    });
    const s = new MachinesState(f.api);
    const r = await s.add({ address: '198.18.0.11', user: 'root', auth: { kind: 'password', password: 'x' } });
    expect(r.ok ? '' : r.error.code).toBe('ssh.auth-failed');
    expect(s.list).toEqual([]);
  });
});

describe('ClustersState', () => {
  it('shows quorum loss as the banner and clears it when quorum is regained', () => {
    const f = fakeApi({});
    const s = new ClustersState(f.api);
    s.listen(new AbortController().signal);
    f.emit('onDidNotify', notice('node-left', 'warning', 'n3'));
    f.emit('onDidNotify', notice('quorum-lost', 'critical'));
    expect(s.banner?.kind).toBe('quorum-lost');
    f.emit('onDidNotify', notice('quorum-regained', 'info'));
    expect(s.notices.map((n) => n.kind)).toEqual(['quorum-regained', 'node-left']);
    expect(s.banner?.kind).toBe('quorum-regained');
    f.emit('onDidNotify', notice('node-joined', 'info', 'n3'));
    expect(s.notices.map((n) => n.kind).sort()).toEqual(['node-joined', 'quorum-regained']);
  });

  it('drops an HA notice from the banner once the HA status says it is over; keeps news and other clusters', () => {
    const f = fakeApi({});
    const s = new ClustersState(f.api);
    s.listen(new AbortController().signal);
    const ha = (kind: Notice['kind'], cluster: string, resource: string): Notice => ({
      ...notice(kind, kind === 'ha-service-error' ? 'critical' : 'warning', 'node1'),
      cluster,
      resource,
    });
    f.emit('onDidNotify', ha('ha-service-error', 'lab', 'vm:100'));
    f.emit('onDidNotify', ha('ha-service-error', 'other', 'vm:100'));
    f.emit('onDidNotify', ha('ha-recovered', 'lab', 'vm:101'));
    const view = (engineState: string) => ({
      cluster: 'lab',
      engine: 'pve-ha' as const,
      dc: 'node2',
      quorate: true,
      fencing: null,
      nodes: [],
      resources: [
        { id: 'vm:100', agent: 'pve:vm', state: 'started' as const, node: 'node1', group: null, engineState },
      ],
      failures: [],
      readFrom: 'node2',
      updatedAt: 0,
    });
    f.emit('onDidChangeHa', { cluster: 'lab', status: view('error') });
    expect(s.notices).toHaveLength(3);
    f.emit('onDidChangeHa', { cluster: 'lab', status: view('started') });
    expect(s.notices.map((n) => `${n.cluster} ${n.kind}`).sort()).toEqual([
      'lab ha-recovered',
      'other ha-service-error',
    ]);
  });

  it('replaces a cluster status whole on onDidChangeQuorum and adds unknown clusters to the list', () => {
    const f = fakeApi({});
    const s = new ClustersState(f.api);
    s.listen(new AbortController().signal);
    f.emit('onDidChangeQuorum', { cluster: 'lab', status: status('lab', [true, true, false]) });
    expect(s.list.map((c) => c.name)).toEqual(['lab']);
    expect(votesPresent(s.statuses.lab!)).toBe(2);
    f.emit('onDidChangeQuorum', {
      cluster: 'lab',
      status: status('lab', [true, true, true], { host: 'q', algorithm: 'ffsplit', votes: 1, flags: 'A,V,NMW' }),
    });
    expect(votesPresent(s.statuses.lab!)).toBe(4);
    expect(s.list[0]?.hasQdevice).toBe(true);
  });
});

const plan: OperationPlan = {
  id: 'p1',
  kind: 'cluster.create',
  cluster: 'lab',
  summary: 'create',
  files: [],
  steps: [
    { id: 'a', machine: 'n1', title: 'A' },
    { id: 'b', machine: 'n2', title: 'B' },
  ],
  before: null,
  after: { expectedVotes: 3, totalVotes: 3, quorum: 2, canLose: 1, nodes: 3 },
  warnings: [],
  instructions: [],
};

describe('OperationRun', () => {
  it('follows only its own plan’s step updates and ends with the outcome’s states', async () => {
    const f = fakeApi({
      planCreateCluster: () => ok(plan),
      runPlan: async () => {
        f.emit('onDidUpdateStep', {
          planId: 'other',
          stepId: 'a',
          index: 0,
          total: 2,
          state: 'failed',
          line: 'not mine',
          error: null,
          at: 1,
        });
        f.emit('onDidUpdateStep', {
          planId: 'p1',
          stepId: 'a',
          index: 0,
          total: 2,
          state: 'running',
          line: 'writing corosync.conf',
          error: null,
          at: 1,
        });
        expect(run.steps[0]).toMatchObject({ state: 'running', log: ['writing corosync.conf'] });
        return ok({
          planId: 'p1',
          ok: true,
          unfinished: false,
          steps: [
            { id: 'a', state: 'done' },
            { id: 'b', state: 'skipped' },
          ],
          error: null,
        });
      },
    });
    const run = new OperationRun(f.api);
    expect(
      await run.makePlan((api) =>
        api.planCreateCluster({
          name: 'lab',
          nodes: [{ address: 'x' }],
          links: [{ linknumber: 0, network: '198.18.0.0/24' }],
        }),
      ),
    ).toBe(true);
    expect(run.phase).toBe('review');
    expect(await run.run()).toBe(true);
    expect(run.phase).toBe('done');
    expect(run.steps.map((s) => s.state)).toEqual(['done', 'skipped']);
    expect(run.percent).toBe(100);
    expect(f.listeners('onDidUpdateStep')).toBe(0);
  });

  it('offers Resume and Roll back after a journaled run stopped half-way, and calls them for the same plan', async () => {
    const failed = {
      code: 'ssh.timeout',
      message: 'could not reach n2',
      hint: 'Fix the cause shown, then run the same command again: it continues where it stopped (or add --rollback to undo).',
    };
    const f = fakeApi({
      planCreateCluster: () => ok(plan),
      runPlan: () =>
        ok({
          planId: 'p1',
          ok: false,
          unfinished: true,
          steps: [
            { id: 'a', state: 'done' },
            { id: 'b', state: 'failed' },
          ],
          error: failed,
        }),
      resumePlan: () =>
        ok({
          planId: 'p1',
          ok: true,
          unfinished: false,
          steps: [
            { id: 'a', state: 'skipped' },
            { id: 'b', state: 'done' },
          ],
          error: null,
        }),
      rollBackPlan: () =>
        ok({
          planId: 'p1',
          ok: true,
          unfinished: false,
          steps: [
            { id: 'a', state: 'rolled-back' },
            { id: 'b', state: 'rolled-back' },
          ],
          error: null,
        }),
    });
    const run = new OperationRun(f.api);
    await run.makePlan((api) =>
      api.planCreateCluster({
        name: 'lab',
        nodes: [{ address: 'x' }],
        links: [{ linknumber: 0, network: '198.18.0.0/24' }],
      }),
    );
    expect(await run.resume()).toBe(false);
    expect(await run.run()).toBe(false);
    expect(run).toMatchObject({ phase: 'failed', unfinished: true, failedStep: 'b' });
    expect(await run.resume()).toBe(true);
    expect(run).toMatchObject({ phase: 'done', unfinished: false });
    expect(run.steps.map((s) => s.state)).toEqual(['skipped', 'done']);
    expect(f.calls.filter((c) => c.method === 'resumePlan').map((c) => c.params)).toEqual([{ planId: 'p1' }]);

    const again = new OperationRun(f.api);
    await again.makePlan((api) =>
      api.planCreateCluster({
        name: 'lab',
        nodes: [{ address: 'x' }],
        links: [{ linknumber: 0, network: '198.18.0.0/24' }],
      }),
    );
    await again.run();
    expect(await again.rollBack()).toBe(true);
    expect(again.steps.map((s) => s.state)).toEqual(['rolled-back', 'rolled-back']);
  });

  it('stays on the form with the engine’s error when planning is refused', async () => {
    const f = fakeApi({
      planSetupQdevice: () => err('ops.qdevice-odd-count', 'lab has 3 nodes', 'confirm the warning'),
    });
    const run = new OperationRun(f.api);
    expect(
      await run.makePlan((api) =>
        api.planSetupQdevice({ cluster: 'lab', host: 'q', algorithm: 'ffsplit', consentOddCount: false }),
      ),
    ).toBe(false);
    expect(run.phase).toBe('idle');
    expect(run.error?.code).toBe('ops.qdevice-odd-count');
  });

  it('refuses to run a plan that was not reviewed', async () => {
    const f = fakeApi({});
    expect(await new OperationRun(f.api).run()).toBe(false);
    expect(f.calls).toEqual([]);
  });
});

describe('CreateWizard', () => {
  it('needs a valid name, two machines and a link before pre-flight, and offers a shared network as link0', async () => {
    const f = fakeApi({
      listNetworks: (p: { addresses: string[] }) =>
        ok([
          { network: '198.18.0.0/24', addresses: Object.fromEntries(p.addresses.map((a) => [a, a])) },
          { network: '198.19.5.0/24', addresses: { '198.18.0.11': '198.19.5.11' } },
        ]),
    });
    const w = new CreateWizard(f.api);
    w.name = '9lives';
    expect(w.nameProblem).not.toBeNull();
    w.name = 'lab';
    w.toggleMachine('198.18.0.11');
    await w.loadNetworks();
    w.toggleMachine('198.18.0.12');
    await w.loadNetworks();
    expect(w.usableNetworks.map((n) => n.network)).toEqual(['198.18.0.0/24']);
    expect(w.links).toEqual([{ linknumber: 0, network: '198.18.0.0/24' }]);
    expect(w.canPreflight).toBe(true);
    w.setLink(0, '');
    expect(w.canPreflight).toBe(false);
  });

  it('says nothing about shared networks and allows no pre-flight while the facts load', async () => {
    let answer: (() => void) | undefined;
    const f = fakeApi({
      listNetworks: (p: { addresses: string[] }) =>
        new Promise((resolve) => {
          answer = () =>
            resolve(ok([{ network: '198.18.0.0/24', addresses: Object.fromEntries(p.addresses.map((a) => [a, a])) }]));
        }),
    });
    const w = new CreateWizard(f.api);
    w.name = 'lab';
    w.links = [{ linknumber: 0, network: '198.18.0.0/24' }];
    w.toggleMachine('198.18.0.11');
    w.toggleMachine('198.18.0.12');
    await Promise.resolve();
    expect(w.networksLoading).toBe(true);
    expect(w.noSharedNetwork).toBe(false);
    expect(w.canPreflight).toBe(false);
    // Two requests in flight (one per toggle); the newest answers for the selection.
    answer?.();
    await new Promise((r) => setTimeout(r, 0));
    expect(w.networksLoading).toBe(false);
    expect(w.noSharedNetwork).toBe(false);
    expect(w.canPreflight).toBe(true);
  });

  it('moves to the plan only after pre-flight and a successful plan', async () => {
    const f = fakeApi({
      runPreflight: () =>
        ok({
          ok: false,
          checks: [
            {
              id: 'preflight.latency',
              subject: 'a ↔ b link0',
              status: 'fail',
              measured: '40 ms',
              threshold: '< 10 ms',
              hint: 'wired LAN',
            },
          ],
          latency: [],
          clocks: [],
          versions: [],
          measuredAt: 0,
        }),
      planCreateCluster: () => ok(plan),
    });
    const w = new CreateWizard(f.api);
    await w.runPreflight();
    expect(w.step).toBe('preflight');
    expect(w.failures.map((c) => c.id)).toEqual(['preflight.latency']);
    await w.makePlan();
    expect(w.step).toBe('plan');
    w.back();
    expect(w.step).toBe('preflight');
    expect(w.operation.plan).toBeNull();
  });
});
