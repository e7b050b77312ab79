/**
 * Every quorum figure a screen shows comes from engine/model: the plan review (before / after),
 * the dashboard's "can lose", and the pre-flight node-count line.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLinkStatus } from '../../../engine/agent/link-status';
import { parseQuorumStatus } from '../../../engine/agent/quorum-status';
import type { QuorumWatchEvent } from '../../../engine/agent/protocol';
import { createEventHub } from '../../../engine/api/event-hub';
import type { MachinesService } from '../../../engine/api/service-machines';
import { toOperationPlan } from '../../../engine/api/service-ops';
import { createWatchService, type WatchService } from '../../../engine/api/service-watch';
import { canLoseFor, canLoseNow, quorumSummary } from '../../../engine/model';
import { planJoin, planQdeviceSetup, planRemove } from '../../../engine/ops/plans';
import { saveCluster } from '../../../engine/ops/registry.fs';
import { newSpec, withQdevice } from '../../../engine/ops/spec';
import { adviceChecks } from '../../../engine/preflight/checks';
import type { MachineFacts } from '../../../engine/preflight/types';
import { unwrap } from '../../../engine/result';

const spec = (n: number) =>
  unwrap(
    newSpec(
      'lab',
      Array.from({ length: n }, (_, k) => ({
        name: `node${k + 1}`,
        machine: `198.18.9.${k + 1}`,
        addresses: { 0: `198.18.9.${k + 1}` },
      })),
    ),
  );
const node = (i: number) => ({ machine: `198.18.9.${i}`, hostname: `node${i}`, addresses: { 0: `198.18.9.${i}` } });

describe('the plan review shows the model’s figures', () => {
  it('join 3 → 4: nodes, expected votes, quorum and can lose before and after', () => {
    const before = spec(3);
    const plan = unwrap(planJoin({ before, nodes: [node(4)], provider: 'corosync' }));
    const shown = toOperationPlan('p', 'cluster.join', plan, []);
    expect(shown.before).toEqual(quorumSummary(before.votequorum));
    expect(shown.before?.nodes).toBe(3);
    expect(shown.after).toEqual(quorumSummary(spec(4).votequorum));
    expect(shown.after.nodes).toBe(4);
  });

  it('remove 4 → 3 around an ffsplit QDevice: refused without a choice, then both choices', () => {
    const before = unwrap(
      withQdevice(spec(4), { host: '198.18.9.9', algorithm: 'ffsplit', votes: 1, machine: '198.18.9.9' }),
    ).spec;
    const input = {
      before,
      name: 'node4',
      onlineMembers: ['node1', 'node2', 'node3'],
      removedReachable: false,
      provider: 'corosync' as const,
      qnetdMachine: '198.18.9.9',
    };
    const refused = planRemove(input);
    expect(!refused.ok && refused.error.code).toBe('ops.remove-qdevice-choice');
    expect(!refused.ok && refused.error.hint).toMatch(/--qdevice remove.*--qdevice keep-lms/);

    const dropped = toOperationPlan('p', 'cluster.remove', unwrap(planRemove({ ...input, qdevice: 'remove' })), []);
    expect(dropped.before).toEqual(quorumSummary(before.votequorum));
    expect(dropped.before?.nodes).toBe(4);
    expect(dropped.after).toEqual(quorumSummary(spec(3).votequorum));
    expect(dropped.after).toMatchObject({ nodes: 3, expectedVotes: 3, quorum: 2, canLose: 1 });

    const lms = toOperationPlan('p', 'cluster.remove', unwrap(planRemove({ ...input, qdevice: 'keep-lms' })), []);
    const expected = unwrap(
      withQdevice(spec(3), { host: '198.18.9.9', algorithm: 'lms', votes: 2, machine: '198.18.9.9' }),
    ).spec;
    expect(lms.after).toEqual(quorumSummary(expected.votequorum));
    expect(lms.after).toMatchObject({ nodes: 3, expectedVotes: 5, quorum: 3, canLose: 2 });
  });

  it('QDevice setup on 4 nodes: 5 expected, can lose 2', () => {
    const before = spec(4);
    const plan = unwrap(
      planQdeviceSetup({ before, host: '198.18.9.9', qnetdMachine: '198.18.9.9', provider: 'corosync' }),
    );
    const shown = toOperationPlan('p', 'qdevice.setup', plan, []);
    const after = unwrap(withQdevice(before, { host: '198.18.9.9', algorithm: 'ffsplit', votes: 1 })).spec;
    expect(shown.after).toEqual(quorumSummary(after.votequorum));
    expect(shown.after).toMatchObject({ nodes: 4, expectedVotes: 5, quorum: 3, canLose: 2 });
  });
});

const capture = (dir: string): string =>
  readFileSync(join(import.meta.dirname, '..', 'corosync', 'tool-samples', dir, 'output.txt'), 'utf8');

let home: string | undefined;
let service: WatchService | undefined;
afterEach(() => {
  service?.dispose();
  if (home) {
    rmSync(home, { recursive: true, force: true });
  }
  home = undefined;
});

describe('the dashboard shows the model’s can-lose for what corosync reports', () => {
  it.each(['quorumtool-s-three-nodes-quorate', 'quorumtool-s-two-of-three-quorate', 'quorumtool-s-qdevice'])(
    '%s',
    async (sample) => {
      const status = parseQuorumStatus(capture(sample))!;
      expect(status).not.toBeNull();
      home = mkdtempSync(join(tmpdir(), 'quorate-figures-'));
      const nodes = Object.fromEntries(status.members.map((m, i) => [m.name, `198.18.3.${i + 1}`]));
      await saveCluster({ name: 'lab', provider: 'corosync', nodes }, home);
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
      await service.clusterStatus({ cluster: 'lab' });
      for (const feed of feeds.values()) {
        feed({
          kind: 'quorum',
          at: 1,
          running: true,
          status,
          links: parseLinkStatus(capture('cfgtool-s-three-nodes')),
        });
      }
      const shown = unwrap(await service.clusterStatus({ cluster: 'lab' }));
      expect(shown.canLose).toBe(canLoseNow(status));
      expect([shown.expectedVotes, shown.totalVotes, shown.quorum]).toEqual([
        status.expectedVotes,
        status.totalVotes,
        status.quorum,
      ]);
    },
  );
});

describe('the pre-flight node-count line shows the model’s can-lose', () => {
  const facts = (i: number): MachineFacts => ({
    machine: `198.18.9.${i}`,
    hostname: `node${i}`,
    corosyncVersion: '3.1.7',
    qdeviceInstalled: true,
    pveVersion: null,
    interfaces: [],
    ntpSynchronized: true,
    hasCorosyncConf: false,
    hasAuthkey: false,
    corosyncRunning: false,
    guests: [],
    cpuVendor: 'GenuineIntel',
  });
  it.each([1, 2, 3, 4, 5])('%i new machines', (n) => {
    const checks = adviceChecks({
      mode: 'create',
      machines: Array.from({ length: n }, (_, i) => facts(i + 1)),
      linkAddresses: {},
      measurements: [],
      clockOffsetsMs: {},
    });
    expect(checks.find((c) => c.id.endsWith('node-count'))?.measured).toBe(
      `${n} node(s), can lose ${canLoseFor(n, false)}`,
    );
  });
});
