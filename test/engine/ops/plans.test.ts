import { describe, expect, it } from 'vitest';
import {
  planCreate,
  planExpected,
  planJoin,
  planLink,
  planQdeviceRemove,
  planQdeviceSetup,
  planRemove,
} from '../../../engine/ops/plans';
import {
  newSpec,
  quorumSummary,
  specFromConf,
  withNodes,
  withQdevice,
  type ClusterSpec,
  type SpecQdevice,
} from '../../../engine/ops/spec';
import { checkConfText, parseConf, readConf } from '../../../engine/corosync';
import type { Plan } from '../../../engine/ops/plan';
import { unwrap } from '../../../engine/result';

const node = (i: number) => ({ machine: `198.18.9.${i}`, hostname: `node${i}`, addresses: { 0: `198.18.9.${i}` } });
const spec = (n: number, linkPriorities = {}) =>
  unwrap(
    newSpec(
      'lab',
      Array.from({ length: n }, (_, k) => ({
        name: `node${k + 1}`,
        machine: `198.18.9.${k + 1}`,
        addresses: { 0: `198.18.9.${k + 1}` },
      })),
      linkPriorities,
    ),
  );
const qdev = (s: ClusterSpec, q: SpecQdevice) => unwrap(withQdevice(s, q)).spec;
const installed = (p: Plan): string[] =>
  p.steps.flatMap((s) => (s.action.kind === 'install-conf' ? [s.action.content] : []));

describe('the cluster spec over corosync.conf', () => {
  it('reads back what it writes, including a QDevice and link priorities', () => {
    const s = qdev(spec(4, { 0: 10 }), { host: '198.18.9.9', algorithm: 'ffsplit', votes: 1 });
    expect(checkConfText(s.conf).filter((p) => p.severity === 'error')).toEqual([]);
    const back = unwrap(specFromConf(s.conf));
    expect(back.name).toBe('lab');
    expect(back.configVersion).toBe(2);
    expect(back.nodes.map((n) => [n.name, n.nodeid, n.addresses[0]])).toEqual(
      s.nodes.map((n) => [n.name, n.nodeid, n.addresses[0]]),
    );
    expect(back.qdevice).toMatchObject({ host: '198.18.9.9', algorithm: 'ffsplit', votes: 1 });
    expect(back.linkPriorities).toEqual({ 0: 10 });
    expect(back.twoNode).toBe(false);
  });

  it('keeps every line an edit is not about: a hand-written comment and logging key survive a join', () => {
    const hand = spec(3).conf.replace('logging {\n', 'logging {\n  # keep: debugging a flaky link\n  timestamp: on\n');
    const before = unwrap(specFromConf(hand));
    const after = unwrap(withNodes(before, [{ name: 'node4', machine: '198.18.9.4', addresses: { 0: '198.18.9.4' } }]));
    expect(after.conf).toContain('  # keep: debugging a flaky link\n  timestamp: on\n');
    expect(after.configVersion).toBe(before.configVersion + 1);
    expect(after.nodes.map((n) => `${n.name}:${n.nodeid}:${n.machine ?? '?'}`)).toEqual([
      'node1:1:?',
      'node2:2:?',
      'node3:3:?',
      'node4:4:198.18.9.4',
    ]);
    // Only the new node block and config_version differ.
    const removed = hand.split('\n').filter((l) => !after.conf.split('\n').includes(l));
    expect(removed).toEqual(['  config_version: 1']);
  });

  it('reports an unbalanced brace as a parse error with its line', () => {
    const r = specFromConf('totem {\n cluster_name: x\n');
    expect(!r.ok && r.error.code).toBe('corosync.parse');
  });

  it('refuses a config_version Quorate cannot count past exactly (above 2^53)', () => {
    const r = specFromConf(spec(3).conf.replace('config_version: 1', 'config_version: 18446744073709551000'));
    expect(!r.ok && r.error.code).toBe('corosync.config-version');
  });
});

describe('plans', () => {
  it('creates: authkey on the first node, copied to the others, config installed on all, started, verified', () => {
    const p = unwrap(planCreate({ name: 'lab', nodes: [node(1), node(2), node(3)], provider: 'corosync' }));
    const kinds = p.steps.map((s) => `${s.action.kind}@${s.machine.slice(-1)}`);
    expect(kinds.slice(0, 3)).toEqual(['run@1', 'copy-file@2', 'copy-file@3']);
    expect(kinds.filter((k) => k.startsWith('install-conf'))).toHaveLength(3);
    expect(kinds.slice(-3)).toEqual(['wait-quorum@1', 'wait-quorum@2', 'wait-quorum@3']);
    expect(p.files['198.18.9.2']).toEqual(['/etc/corosync/authkey', '/etc/corosync/corosync.conf']);
    expect(p.before).toBeNull();
    expect(p.after).toMatchObject({ expectedVotes: 3, quorum: 2, canLose: 1 });
    // install steps carry the identical file for every node
    const contents = new Set(p.steps.flatMap((s) => (s.action.kind === 'install-conf' ? [s.action.content] : [])));
    expect(contents.size).toBe(1);
  });

  it('sets two_node for two nodes and warns', () => {
    const p = unwrap(planCreate({ name: 'duo', nodes: [node(1), node(2)], provider: 'corosync' }));
    expect(p.after).toMatchObject({ expectedVotes: 2, quorum: 1, canLose: 1 });
    expect(p.warnings.join(' ')).toMatch(/QDevice/);
  });

  it('refuses a cluster name pvecm would refuse', () => {
    expect(planCreate({ name: 'a name with spaces', nodes: [node(1)], provider: 'corosync' }).ok).toBe(false);
  });

  it('joins: bumps config_version, updates every member before starting the new node', () => {
    const p = unwrap(planJoin({ before: spec(3), nodes: [node(4)], provider: 'corosync' }));
    const ids = p.steps.map((s) => s.id);
    expect(ids.indexOf('reload-v2@198.18.9.1')).toBeGreaterThan(ids.indexOf('install-conf-v2@198.18.9.3'));
    expect(ids.indexOf('start-corosync@198.18.9.4')).toBeGreaterThan(ids.indexOf('reload-v2@198.18.9.1'));
    expect(p.before?.canLose).toBe(1);
    expect(p.after).toMatchObject({ expectedVotes: 4, quorum: 3, canLose: 1 });
    const member = p.steps.find((s) => s.id === 'install-conf-v2@198.18.9.2')!;
    expect(member.rollback).toEqual({ kind: 'restore-conf', version: 1 });
  });

  it('refuses to join a node whose name is taken', () => {
    const r = planJoin({ before: spec(3), nodes: [{ ...node(4), hostname: 'node2' }], provider: 'corosync' });
    expect(!r.ok && r.error.code).toBe('ops.name-taken');
  });

  it('joins around a QDevice: remove it, change, set it up again with votes for the new count', () => {
    const before = qdev(spec(2), { host: '198.18.9.9', algorithm: 'ffsplit', votes: 1, machine: '198.18.9.9' });
    const p = unwrap(planJoin({ before, nodes: [node(3), node(4)], provider: 'corosync', qnetdMachine: '198.18.9.9' }));
    const ids = p.steps.map((s) => s.id);
    expect(ids.findIndex((i) => i.startsWith('stop-qdevice'))).toBeLessThan(ids.indexOf('start-corosync@198.18.9.3'));
    expect(ids.findIndex((i) => i.startsWith('start-qdevice'))).toBeGreaterThan(
      ids.indexOf('start-corosync@198.18.9.4'),
    );
    expect(p.after).toMatchObject({ expectedVotes: 5, quorum: 3, canLose: 2 });
  });

  it('refuses to remove a node that is still a member', () => {
    const r = planRemove({
      before: spec(3),
      name: 'node3',
      onlineMembers: ['node1', 'node2', 'node3'],
      removedReachable: false,
      provider: 'corosync',
    });
    expect(!r.ok && r.error.code).toBe('ops.node-still-member');
  });

  it('refuses a removal that leaves the rest inquorate unless forced with the typed name', () => {
    const base = {
      before: spec(4),
      name: 'node4',
      onlineMembers: ['node1'],
      removedReachable: false,
      provider: 'corosync' as const,
    };
    expect(planRemove(base).ok).toBe(false);
    expect(planRemove({ ...base, force: { confirm: 'wrong' } }).ok).toBe(false);
    const forced = unwrap(planRemove({ ...base, force: { confirm: 'lab' } }));
    expect(forced.warnings.join(' ')).toMatch(/Forced/);
  });

  it('removes a stopped node from a healthy cluster', () => {
    const p = unwrap(
      planRemove({
        before: spec(4),
        name: 'node4',
        onlineMembers: ['node1', 'node2', 'node3'],
        removedReachable: true,
        provider: 'corosync',
      }),
    );
    expect(p.steps.filter((s) => s.action.kind === 'install-conf').map((s) => s.machine)).toEqual([
      '198.18.9.1',
      '198.18.9.2',
      '198.18.9.3',
    ]);
    expect(p.steps.at(-1)!.id).toBe('clean@198.18.9.4');
    expect(p.after.expectedVotes).toBe(3);
  });

  it('asks consent before a QDevice on an odd node count, then uses lms with N−1 votes', () => {
    expect(planQdeviceSetup({ before: spec(3), host: 'q', qnetdMachine: 'q', provider: 'corosync' }).ok).toBe(false);
    const p = unwrap(
      planQdeviceSetup({ before: spec(3), host: 'q', qnetdMachine: 'q', consent: true, provider: 'corosync' }),
    );
    expect(p.after.expectedVotes).toBe(5);
  });

  it('sets up a QDevice on two nodes, clearing two_node, and says so', () => {
    const p = unwrap(
      planQdeviceSetup({ before: spec(2), host: '198.18.9.9', qnetdMachine: '198.18.9.9', provider: 'corosync' }),
    );
    expect(p.warnings.join(' ')).toMatch(/two_node/);
    const conf = p.steps.find((s) => s.action.kind === 'install-conf')!;
    expect(conf.action.kind === 'install-conf' && conf.action.content).not.toMatch(/two_node/);
    expect(conf.action.kind === 'install-conf' && conf.action.content).toMatch(/algorithm: ffsplit/);
    expect(p.before).toEqual(quorumSummary(spec(2)));
    expect(p.after).toMatchObject({ expectedVotes: 3, quorum: 2, canLose: 1 });
  });

  it('lists every quorum key the QDevice setup removes as a warning, and installs a file without them', () => {
    const before = unwrap(
      specFromConf(
        spec(4).conf.replace(
          '  provider: corosync_votequorum\n',
          '  provider: corosync_votequorum\n  last_man_standing: 1\n  auto_tie_breaker: 1\n',
        ),
      ),
    );
    expect([before.lastManStanding, before.autoTieBreaker]).toEqual([true, true]);
    const p = unwrap(
      planQdeviceSetup({ before, host: '198.18.9.9', qnetdMachine: '198.18.9.9', provider: 'corosync' }),
    );
    const warning = p.warnings.find((w) => w.includes('removed')) ?? '';
    expect(warning).toContain('quorum.auto_tie_breaker');
    expect(warning).toContain('quorum.last_man_standing');
    expect(warning).not.toContain('two_node');
    const q = readConf(unwrap(parseConf(installed(p)[0]!))).quorum;
    expect([q.lastManStanding, q.autoTieBreaker, q.device?.net?.host]).toEqual([undefined, undefined, '198.18.9.9']);
  });

  it('drops two_node when a third node joins a two-node cluster, and the planned file validates', () => {
    const p = unwrap(planJoin({ before: spec(2), nodes: [node(3)], provider: 'corosync' }));
    const conf = installed(p)[0]!;
    expect(conf).not.toMatch(/two_node/);
    expect(checkConfText(conf).filter((x) => x.severity === 'error')).toEqual([]);
    expect(p.after).toMatchObject({ expectedVotes: 3, quorum: 2, canLose: 1 });
  });

  it('adds link1 with its priority on every node, and refuses a priority change on the only link', () => {
    const p = unwrap(
      planLink({
        before: spec(3),
        link: 1,
        addresses: { node1: '198.18.10.1', node2: '198.18.10.2', node3: '198.18.10.3' },
        priority: 5,
        provider: 'corosync',
      }),
    );
    const back = unwrap(specFromConf(installed(p)[0]!));
    expect(back.nodes.map((n) => n.addresses[1])).toEqual(['198.18.10.1', '198.18.10.2', '198.18.10.3']);
    expect(back.linkPriorities).toEqual({ 1: 5 });
    const r = planLink({ before: spec(3), link: 0, addresses: {}, priority: 7, provider: 'corosync' });
    expect(!r.ok && r.error.code).toBe('ops.link-priority');
  });

  it("refuses a join whose address another node already uses (engine/corosync's check)", () => {
    const r = planJoin({
      before: spec(3),
      nodes: [{ ...node(4), addresses: { 0: '198.18.9.2' } }],
      provider: 'corosync',
    });
    expect(!r.ok && r.error.code).toBe('corosync.duplicate-address');
  });

  it('removes a QDevice and restores two_node for two nodes', () => {
    const before = qdev(spec(2), { host: 'q', algorithm: 'ffsplit', votes: 1 });
    const p = unwrap(planQdeviceRemove({ before, provider: 'corosync' }));
    const conf = p.steps.find((s) => s.action.kind === 'install-conf')!;
    expect(conf.action.kind === 'install-conf' && conf.action.content).toMatch(/two_node: 1/);
  });

  it('requires the typed cluster name for expected votes and reminds to restore', () => {
    expect(planExpected({ before: spec(3), votes: 1, confirm: 'nope', machine: 'm', provider: 'corosync' }).ok).toBe(
      false,
    );
    const p = unwrap(planExpected({ before: spec(3), votes: 1, confirm: 'lab', machine: 'm', provider: 'corosync' }));
    expect(p.warnings.join(' ')).toMatch(/Reminder/);
    expect(p.steps[0]!.action).toEqual({ kind: 'run', command: 'corosync-quorumtool -e 1' });
  });

  it('drives pvecm for the pve provider and writes no file itself', () => {
    const p = unwrap(planCreate({ name: 'pve', nodes: [node(1), node(2), node(3)], provider: 'pve' }));
    expect(p.files).toEqual({});
    expect(p.steps[0]!.action).toMatchObject({ kind: 'run', command: 'pvecm create pve --link0 198.18.9.1' });
    expect(p.steps[1]!.action).toMatchObject({
      kind: 'run',
      command: 'pvecm add 198.18.9.1 --link0 198.18.9.2 --use_ssh 1',
    });
  });
});

describe('plans tell the truth', () => {
  it('create lists the founder’s authkey, and every file of a new cluster is created', () => {
    const p = unwrap(planCreate({ name: 'lab', nodes: [node(1), node(2), node(3)], provider: 'corosync' }));
    expect(p.files['198.18.9.1']).toContain('/etc/corosync/authkey');
    for (const files of Object.values(p.fileActions!)) {
      expect(new Set(Object.values(files))).toEqual(new Set(['create']));
    }
  });

  it('join 3 → 4: members’ corosync.conf modified, the joiner’s created; counts 3 → 4', () => {
    const p = unwrap(planJoin({ before: spec(3), nodes: [node(4)], provider: 'corosync' }));
    expect(p.fileActions!['198.18.9.1']!['/etc/corosync/corosync.conf']).toBe('modify');
    expect(p.fileActions!['198.18.9.4']).toEqual({
      '/etc/corosync/authkey': 'create',
      '/etc/corosync/corosync.conf': 'create',
    });
    expect([p.before?.nodes, p.after.nodes]).toEqual([3, 4]);
  });

  it('warns that a joiner’s configuration is overwritten only when it has one', () => {
    const clean = unwrap(planJoin({ before: spec(3), nodes: [node(4)], provider: 'corosync' }));
    expect(clean.warnings.join(' ')).not.toMatch(/corosync\.conf/);
    const dirty = unwrap(
      planJoin({ before: spec(3), nodes: [node(4)], joinersWithConfig: ['node4'], provider: 'corosync' }),
    );
    expect(dirty.warnings.join(' ')).toMatch(/node4 already has a corosync\.conf/);
    expect(dirty.fileActions!['198.18.9.4']!['/etc/corosync/corosync.conf']).toBe('modify');
  });

  it('remove 4 → 3 acts on the remaining online nodes only, and deletes the removed node’s files when reachable', () => {
    const p = unwrap(
      planRemove({
        before: spec(4),
        name: 'node4',
        onlineMembers: ['node1', 'node2', 'node3'],
        removedReachable: true,
        provider: 'corosync',
      }),
    );
    expect([p.before?.nodes, p.after.nodes]).toEqual([4, 3]);
    expect(new Set(p.steps.filter((s) => s.id !== 'clean@198.18.9.4').map((s) => s.machine))).not.toContain(
      '198.18.9.4',
    );
    expect(p.fileActions!['198.18.9.4']).toEqual({
      '/etc/corosync/corosync.conf': 'delete',
      '/etc/corosync/authkey': 'delete',
    });
  });

  it('remove with another node down: acts on the online ones, and says which node needs the file', () => {
    const p = unwrap(
      planRemove({
        before: spec(5),
        name: 'node5',
        onlineMembers: ['node1', 'node2', 'node3'],
        removedReachable: false,
        provider: 'corosync',
      }),
    );
    expect(new Set(p.steps.map((s) => s.machine))).toEqual(new Set(['198.18.9.1', '198.18.9.2', '198.18.9.3']));
    expect(p.warnings.join(' ')).toMatch(/node4 is down/);
  });
});
