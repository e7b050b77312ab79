import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLinkStatus } from '../../../engine/agent/link-status';
import type { QuorumWatchEvent } from '../../../engine/agent/protocol';
import { parseQuorumStatus } from '../../../engine/agent/quorum-status';
import { createEventHub } from '../../../engine/api/event-hub';
import type { MachinesService } from '../../../engine/api/service-machines';
import { createWatchService, type WatchService } from '../../../engine/api/service-watch';
import { deleteCluster, saveCluster } from '../../../engine/ops/registry.fs';
import type { ClusterStatus } from '../../../engine/api/contract';
import { err, ok, unwrap, type Result } from '../../../engine/result';

// Real corosync 3.1.7 captures from the lab (node1's and node3's views).
const capture = (dir: string): string =>
  readFileSync(join(import.meta.dirname, '..', 'corosync', 'tool-samples', dir, 'output.txt'), 'utf8');
const event = (quorumtool: string, cfgtool: string): QuorumWatchEvent => ({
  kind: 'quorum',
  at: 1,
  running: true,
  status: parseQuorumStatus(capture(quorumtool)),
  links: parseLinkStatus(capture(cfgtool)),
});

let home: string | undefined;
let service: WatchService | undefined;
afterEach(() => {
  service?.dispose();
  if (home) {
    rmSync(home, { recursive: true, force: true });
  }
  home = undefined;
});

describe('cluster status link health', () => {
  it("fills links per pair from the agents' link reports, a cut node down on the survivor", async () => {
    home = mkdtempSync(join(tmpdir(), 'quorate-watch-links-'));
    await saveCluster(
      { name: 'lab', provider: 'corosync', nodes: { node1: '198.18.3.1', node2: '198.18.3.2', node3: '198.18.3.3' } },
      home,
    );
    const feeds = new Map<string, (e: QuorumWatchEvent) => void>();
    service = createWatchService({
      home,
      events: createEventHub(),
      machines: {} as MachinesService,
      now: () => 1000,
      setTimer: () => () => {},
      openStream: async (machine, onEvent) => {
        feeds.set(machine, onEvent);
        return { ok: true, value: { done: new Promise(() => {}), close: () => {} } };
      },
    });
    const empty = await service.clusterStatus({ cluster: 'lab' });
    expect(empty.ok && empty.value.links).toEqual([]);

    feeds.get('198.18.3.1')?.(event('quorumtool-s-three-nodes-quorate', 'cfgtool-s-three-nodes'));
    const healthy = await service.clusterStatus({ cluster: 'lab' });
    expect(
      healthy.ok && healthy.value.links.map((l) => `${l.a}->${l.b}:${l.linknumber}:${l.state}:${l.rttMs}`),
    ).toEqual(['node1->node2:0:up:null', 'node1->node3:0:up:null']);

    // node3 cut: node1 no longer has it in its membership, but still names it from before.
    feeds.get('198.18.3.1')?.(event('quorumtool-s-two-of-three-quorate', 'cfgtool-s-peer-cut'));
    const cut = await service.clusterStatus({ cluster: 'lab' });
    expect(cut.ok && cut.value.links.map((l) => `${l.a}->${l.b}:${l.state}`)).toEqual([
      'node1->node2:up',
      'node1->node3:down',
    ]);
  });
});

/** corosync.conf for `nodes` (nodeN: nodeid N, ring0 198.18.3.N), optionally with a QDevice. */
function conf(version: number, nodes: readonly string[], qdevice?: { host: string; algorithm: string }): string {
  return [
    'totem {',
    '  cluster_name: lab',
    `  config_version: ${version}`,
    '}',
    'nodelist {',
    ...nodes.map((n) => {
      const id = n.replace(/\D/g, '');
      return `  node {\n    name: ${n}\n    nodeid: ${id}\n    ring0_addr: 198.18.3.${id}\n  }`;
    }),
    '}',
    'quorum {',
    '  provider: corosync_votequorum',
    ...(qdevice
      ? [
          `  device {\n    model: net\n    votes: 1\n    net {\n      host: ${qdevice.host}\n      algorithm: ${qdevice.algorithm}\n    }\n  }`,
        ]
      : []),
    '}',
    '',
  ].join('\n');
}

describe('the live model from corosync (issue 9 §1)', () => {
  it('follows corosync.conf as the members report it: nodelist, QDevice, streams, never the registry copy', async () => {
    home = mkdtempSync(join(tmpdir(), 'quorate-watch-model-'));
    await saveCluster(
      { name: 'lab', provider: 'corosync', nodes: { node1: '198.18.3.1', node2: '198.18.3.2', node3: '198.18.3.3' } },
      home,
    );
    const feeds = new Map<string, (e: QuorumWatchEvent) => void>();
    const closed: string[] = [];
    service = createWatchService({
      home,
      events: createEventHub(),
      // node4's machine was added to Quorate; the registry does not know it is node4 (joined by hand).
      machines: {
        listMachines: async () => ({ ok: true, value: [{ address: '198.18.3.4' }] }),
      } as unknown as MachinesService,
      now: () => 1000,
      setTimer: () => () => {},
      openStream: async (machine, onEvent) => {
        feeds.set(machine, onEvent);
        return {
          ok: true,
          value: { done: new Promise(() => {}), close: () => void closed.push(machine) },
        };
      },
    });
    const summary = async (): Promise<unknown> => {
      const list = await service!.listClusters();
      const status = await service!.clusterStatus({ cluster: 'lab' });
      return {
        nodes: list.ok && list.value[0]?.nodes,
        hasQdevice: list.ok && list.value[0]?.hasQdevice,
        status: status.ok && status.value.nodes.map((n) => `${n.nodeid}:${n.name}@${n.machine}`),
        qdevice: status.ok && status.value.qdevice && `${status.value.qdevice.host}/${status.value.qdevice.algorithm}`,
      };
    };
    const status = parseQuorumStatus(capture('quorumtool-s-three-nodes-quorate'));
    const report = (machine: string, configVersion: number, text: string): void =>
      feeds.get(machine)?.({
        kind: 'quorum',
        at: 1,
        running: true,
        status,
        config: { configVersion, corosyncConf: text },
      });
    expect(await summary()).toMatchObject({ nodes: ['node1', 'node2', 'node3'], hasQdevice: false });

    // A fourth node and a QDevice, made outside Quorate: node1 reports the new file.
    const four = ['node1', 'node2', 'node3', 'node4'];
    report('198.18.3.1', 8, conf(8, four, { host: '198.18.3.9', algorithm: 'ffsplit' }));
    expect(await summary()).toEqual({
      nodes: four,
      hasQdevice: true,
      status: ['1:node1@198.18.3.1', '2:node2@198.18.3.2', '3:node3@198.18.3.3', '4:node4@198.18.3.4'],
      qdevice: '198.18.3.9/ffsplit',
    });
    // node4's agent is watched now, found by its ring0_addr among the machines.
    expect([...feeds.keys()]).toContain('198.18.3.4');

    // A member still on the old file (lower config_version) does not take the model back.
    report('198.18.3.2', 7, conf(7, ['node1', 'node2', 'node3']));
    expect(await summary()).toMatchObject({ nodes: four, hasQdevice: true });

    // node3 removed and the QDevice with it (version 9): its stream closes.
    report('198.18.3.4', 9, conf(9, ['node1', 'node2', 'node4']));
    expect(await summary()).toMatchObject({ nodes: ['node1', 'node2', 'node4'], hasQdevice: false, qdevice: null });
    expect(closed).toEqual(['198.18.3.3']);
  });
});

describe('refresh after an operation', () => {
  it('picks up a cluster already watched whose record changed (join), and forgets a deleted one', async () => {
    home = mkdtempSync(join(tmpdir(), 'quorate-watch-refresh-'));
    const three = { node1: '198.18.3.1', node2: '198.18.3.2', node3: '198.18.3.3' };
    await saveCluster({ name: 'lab', provider: 'corosync', nodes: three }, home);
    const opened: string[] = [];
    const closed: string[] = [];
    service = createWatchService({
      home,
      events: createEventHub(),
      machines: {} as MachinesService,
      now: () => 1000,
      setTimer: () => () => {},
      openStream: async (machine) => {
        opened.push(machine);
        return { ok: true, value: { done: new Promise(() => {}), close: () => void closed.push(machine) } };
      },
    });
    await service.refresh();
    await saveCluster({ name: 'lab', provider: 'corosync', nodes: { ...three, node4: '198.18.3.4' } }, home);
    await service.refresh();
    const list = await service.listClusters();
    expect(list.ok && list.value.map((c) => c.nodes)).toEqual([['node1', 'node2', 'node3', 'node4']]);
    expect(opened).toEqual(['198.18.3.1', '198.18.3.2', '198.18.3.3', '198.18.3.4']);
    await deleteCluster('lab', home);
    await service.refresh();
    expect((await service.listClusters()).ok && (await service.listClusters())).toMatchObject({ value: [] });
    expect(closed.sort()).toEqual(['198.18.3.1', '198.18.3.2', '198.18.3.3', '198.18.3.4']);
  });
});

describe('the first snapshot (one status reader, issue 8 §1)', () => {
  const snapshotStatus = (updatedAt: number): ClusterStatus => ({
    name: 'lab',
    state: 'quorate',
    quorate: true,
    expectedVotes: 3,
    totalVotes: 3,
    quorum: 2,
    canLose: 1,
    nodes: ['node1', 'node2', 'node3'].map((name, i) => ({
      name,
      nodeid: i + 1,
      votes: 1,
      online: true,
      machine: `198.18.3.${i + 1}`,
    })),
    qdevice: null,
    links: [],
    reporter: 'node1',
    updatedAt,
  });

  async function setUp(opts: {
    snapshot: (cluster: string) => Promise<Result<ClusterStatus>>;
    setTimer?: (fn: () => void, ms: number) => () => void;
  }): Promise<{
    feeds: Map<string, (e: QuorumWatchEvent) => void>;
    changes: ClusterStatus[];
    clock: { t: number };
  }> {
    home = mkdtempSync(join(tmpdir(), 'quorate-watch-snapshot-'));
    await saveCluster(
      { name: 'lab', provider: 'corosync', nodes: { node1: '198.18.3.1', node2: '198.18.3.2', node3: '198.18.3.3' } },
      home,
    );
    const feeds = new Map<string, (e: QuorumWatchEvent) => void>();
    const changes: ClusterStatus[] = [];
    const events = createEventHub();
    events.subscribe((name, payload) => {
      if (name === 'onDidChangeQuorum') {
        changes.push((payload as { status: ClusterStatus }).status);
      }
    });
    const clock = { t: 1000 };
    service = createWatchService({
      home,
      events,
      machines: {} as MachinesService,
      now: () => clock.t,
      setTimer: opts.setTimer ?? (() => () => {}),
      snapshot: opts.snapshot,
      openStream: async (machine, onEvent) => {
        feeds.set(machine, onEvent);
        return { ok: true, value: { done: new Promise(() => {}), close: () => {} } };
      },
    });
    return { feeds, changes, clock };
  }

  it('answers with the one-shot read until the streams settle, without falling back to unknown meanwhile', async () => {
    const asked: string[] = [];
    const { feeds, clock } = await setUp({
      snapshot: async (cluster) => {
        asked.push(cluster);
        return ok(snapshotStatus(500));
      },
    });
    const first = unwrap(await service!.clusterStatus({ cluster: 'lab' }));
    expect(asked).toEqual(['lab']);
    expect(first).toMatchObject({ state: 'quorate', quorate: true, reporter: 'node1', updatedAt: 500 });
    expect(unwrap(await service!.listClusters()).map((c) => c.state)).toEqual(['quorate']);
    // node1's agent reports; its view has not settled yet (300 ms): still the snapshot, not "unknown".
    feeds.get('198.18.3.1')?.(event('quorumtool-s-three-nodes-quorate', 'cfgtool-s-three-nodes'));
    expect(unwrap(await service!.clusterStatus({ cluster: 'lab' }))).toMatchObject({
      state: 'quorate',
      updatedAt: 500,
    });
    expect(asked).toEqual(['lab']);
    // Settled: the streams' status from now on.
    clock.t += 1000;
    feeds.get('198.18.3.1')?.(event('quorumtool-s-two-of-three-quorate', 'cfgtool-s-peer-cut'));
    clock.t += 1000;
    feeds.get('198.18.3.1')?.(event('quorumtool-s-two-of-three-quorate', 'cfgtool-s-peer-cut'));
    const live = unwrap(await service!.clusterStatus({ cluster: 'lab' }));
    expect(live.updatedAt).toBe(3000);
    expect(live.nodes.map((n) => `${n.name}:${n.online}`)).toEqual(['node1:true', 'node2:true', 'node3:false']);
  });

  it('a read slower than the wait is published when it arrives; a failed read leaves the streams status', async () => {
    let finish: (r: Result<ClusterStatus>) => void = () => {};
    const { changes } = await setUp({
      snapshot: () => new Promise((resolve) => (finish = resolve)),
      // The wait runs out at once.
      setTimer: (fn) => {
        queueMicrotask(fn);
        return () => {};
      },
    });
    const first = unwrap(await service!.clusterStatus({ cluster: 'lab' }));
    expect(first).toMatchObject({ state: 'unknown', quorate: null });
    finish(ok(snapshotStatus(700)));
    await new Promise((r) => setTimeout(r, 0));
    expect(changes.at(-1)).toMatchObject({ state: 'quorate', updatedAt: 700 });

    service?.dispose();
    rmSync(home!, { recursive: true, force: true });
    const { changes: none } = await setUp({
      snapshot: async () => err('ops.cluster-unreachable', 'no node of lab could be read', 'Check SSH.'),
    });
    expect(unwrap(await service!.clusterStatus({ cluster: 'lab' }))).toMatchObject({ state: 'unknown' });
    expect(none.filter((s) => s.state !== 'unknown')).toEqual([]);
  });
});
