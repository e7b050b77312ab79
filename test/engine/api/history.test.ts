import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentJournalEntry } from '../../../engine/agent/event-journal';
import type { ClusterStatus, HaStatusView, Notice } from '../../../engine/api/contract';
import { createEventHub } from '../../../engine/api/event-hub';
import { createHistoryService, type AgentJournalRead } from '../../../engine/api/history';
import { runEventsCommand } from '../../../engine/cli/events-command';
import { fileJournalStore } from '../../../engine/ops/journal.fs';
import { saveCluster } from '../../../engine/ops/registry.fs';
import { ok, type Result } from '../../../engine/result';

const home = (): string => mkdtempSync(join(tmpdir(), 'quorate-history-'));

const notice = (kind: Notice['kind'], at: number, node?: string): Notice => ({
  kind,
  cluster: 'web',
  at,
  severity: kind === 'quorum-lost' ? 'critical' : kind.endsWith('left') ? 'warning' : 'info',
  ...(node ? { node } : {}),
  title: `web: ${kind}${node ? ` ${node}` : ''}`,
  body: 'body',
  guidance: [],
});

const status = (online: Record<string, boolean>, quorate: boolean): ClusterStatus => ({
  name: 'web',
  state: quorate ? 'quorate' : 'inquorate',
  quorate,
  expectedVotes: 3,
  totalVotes: 3,
  quorum: 2,
  canLose: 1,
  nodes: Object.entries(online).map(([name, o], i) => ({ name, nodeid: i + 1, votes: 1, online: o, machine: null })),
  qdevice: null,
  links: [],
  reporter: 'node1',
  updatedAt: 0,
});

function capture(): { io: Parameters<typeof runEventsCommand>[1]; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (s) => void out.push(s), stderr: (s) => void err.push(s), readStdin: async () => '' },
    out,
    err,
  };
}

describe('history survives a restart', () => {
  it('keeps the timeline and the open notices in QUORATE_HOME, and a restarted app shows the banner again', async () => {
    const dir = home();
    const events = createEventHub();
    const first = createHistoryService({ home: dir, events, now: () => 5, mergeOnConnect: false });
    events.emit('onDidNotify', notice('node-left', 1000, 'node3'));
    events.emit('onDidNotify', notice('quorum-lost', 2000));
    events.emit('onDidNotify', notice('quorum-regained', 3000));
    await first.flushed();
    first.dispose();

    const second = createHistoryService({ home: dir, events: createEventHub(), now: () => 5, mergeOnConnect: false });
    const timeline = await second.listTimeline({ cluster: 'web' });
    expect(timeline.ok && timeline.value.map((e) => e.kind)).toEqual(['quorum-regained', 'quorum-lost', 'node-left']);
    const open = await second.listNotices();
    expect(open.ok && open.value.map((n) => [n.kind, n.node])).toEqual([['node-left', 'node3']]);
  });

  it('drops a restored notice as soon as the live status shows it is over', async () => {
    const dir = home();
    const events = createEventHub();
    const h = createHistoryService({ home: dir, events, now: () => 5, mergeOnConnect: false });
    events.emit('onDidNotify', notice('node-left', 1000, 'node3'));
    events.emit('onDidChangeQuorum', { cluster: 'web', status: status({ node1: true, node3: false }, true) });
    await h.flushed();
    expect((await h.listNotices()).ok && ((await h.listNotices()) as { value: Notice[] }).value).toHaveLength(1);
    events.emit('onDidChangeQuorum', { cluster: 'web', status: status({ node1: true, node3: true }, true) });
    await new Promise((r) => setTimeout(r, 10));
    await h.flushed();
    const restarted = createHistoryService({
      home: dir,
      events: createEventHub(),
      now: () => 5,
      mergeOnConnect: false,
    });
    expect(((await restarted.listNotices()) as { value: Notice[] }).value).toEqual([]);
  });

  it('says at the top of the timeline when the folder cannot be written', async () => {
    const parent = home();
    const dir = join(parent, 'ro');
    mkdirSync(dir);
    chmodSync(dir, 0o500);
    const events = createEventHub();
    const h = createHistoryService({ home: dir, events, now: () => 5, mergeOnConnect: false });
    events.emit('onDidNotify', notice('quorum-lost', 2000));
    await h.flushed();
    const t = await h.listTimeline({ cluster: 'web' });
    chmodSync(dir, 0o700);
    // root ignores directory permissions; only assert where they apply.
    if (process.getuid?.() !== 0) {
      expect(t.ok && t.value[0]!.text).toMatch(/cannot save its history/);
    }
    expect(t.ok && t.value.some((e) => e.kind === 'quorum-lost')).toBe(true);
  });
});

describe('HA notices in the history', () => {
  const ha = (
    over: Partial<{ fencing: boolean; unclean: string[]; failedOn: string[] }>,
  ): { cluster: string; status: HaStatusView } => ({
    cluster: 'web',
    status: {
      cluster: 'web',
      engine: 'pacemaker',
      dc: 'node1',
      quorate: true,
      fencing: over.fencing ?? true,
      nodes: ['node1', 'node2', 'node3'].map((name) => ({
        name,
        online: true,
        standby: false,
        maintenance: false,
        unclean: (over.unclean ?? []).includes(name),
        isDc: name === 'node1',
      })),
      resources: [],
      failures: (over.failedOn ?? []).map((node) => ({
        resource: 'web-ip',
        task: 'start',
        node,
        reason: 'not running',
        at: null,
        call: 1,
      })),
      readFrom: 'node1',
      updatedAt: 0,
    },
  });
  const kinds = async (h: ReturnType<typeof createHistoryService>): Promise<string[]> => {
    const r = await h.listNotices();
    return r.ok ? r.value.map((n) => `${n.kind} ${n.node ?? ''}`.trim()).sort() : [];
  };

  it('keeps fencing off/pending and failed actions open across a restart, never a move, and closes them from the HA status', async () => {
    const dir = home();
    const events = createEventHub();
    const h = createHistoryService({ home: dir, events, now: () => 0, mergeOnConnect: false });
    events.emit('onDidNotify', notice('ha-fencing-disabled', 1000));
    events.emit('onDidNotify', notice('ha-fencing-pending', 1100, 'node3'));
    events.emit('onDidNotify', notice('ha-resource-failed', 1200, 'node2'));
    events.emit('onDidNotify', notice('ha-resource-moved', 1300, 'node1'));
    await h.flushed();
    const expected = ['ha-fencing-disabled', 'ha-fencing-pending node3', 'ha-resource-failed node2'];
    expect(await kinds(h)).toEqual(expected);
    const events2 = createEventHub();
    const restarted = createHistoryService({ home: dir, events: events2, now: () => 0, mergeOnConnect: false });
    expect(await kinds(restarted)).toEqual(expected);
    // Still fencing off, node3 unclean, the failure on node2 kept: nothing closes.
    events2.emit('onDidChangeHa', ha({ fencing: false, unclean: ['node3'], failedOn: ['node2'] }));
    expect(await kinds(restarted)).toEqual(expected);
    // Failure cleaned up (crm_resource --cleanup): only that one closes.
    events2.emit('onDidChangeHa', ha({ fencing: false, unclean: ['node3'] }));
    expect(await kinds(restarted)).toEqual(['ha-fencing-disabled', 'ha-fencing-pending node3']);
    // node3 joins again: its pending fencing is over; fencing switched on closes the last one.
    events2.emit('onDidNotify', notice('node-joined', 2000, 'node3'));
    expect(await kinds(restarted)).toEqual(['ha-fencing-disabled']);
    events2.emit('onDidChangeHa', ha({ fencing: true }));
    expect(await kinds(restarted)).toEqual([]);
  });

  it('keeps each guest in error open (one per guest, across a restart) until ha-manager shows it out of error; a recovery or a migration is timeline only', async () => {
    const dir = home();
    const events = createEventHub();
    const h = createHistoryService({ home: dir, events, now: () => 0, mergeOnConnect: false });
    const pve = (kind: Notice['kind'], at: number, node: string, resource: string): Notice => ({
      ...notice(kind, at, node),
      resource,
    });
    events.emit('onDidNotify', pve('ha-service-error', 1000, 'node1', 'vm:100'));
    events.emit('onDidNotify', pve('ha-service-error', 1100, 'node1', 'vm:101'));
    events.emit('onDidNotify', pve('ha-recovered', 1200, 'node3', 'vm:102'));
    events.emit('onDidNotify', pve('migration-finished', 1300, 'node2', 'vm:103'));
    events.emit('onDidNotify', pve('migration-failed', 1400, 'node2', 'vm:104'));
    await h.flushed();
    const open = async (x: ReturnType<typeof createHistoryService>): Promise<string[]> => {
      const r = await x.listNotices();
      return r.ok ? r.value.map((n) => `${n.kind} ${n.resource ?? ''}`).sort() : [];
    };
    expect(await open(h)).toEqual(['ha-service-error vm:100', 'ha-service-error vm:101']);
    const tl = await h.listTimeline({ cluster: 'web' });
    expect(tl.ok && tl.value.map((e) => e.kind)).toEqual([
      'migration-failed',
      'migration-finished',
      'ha-recovered',
      'ha-service-error',
      'ha-service-error',
    ]);
    const events2 = createEventHub();
    const restarted = createHistoryService({ home: dir, events: events2, now: () => 0, mergeOnConnect: false });
    expect(await open(restarted)).toEqual(['ha-service-error vm:100', 'ha-service-error vm:101']);
    const resource = (id: string, engineState: string) => ({
      id,
      agent: 'pve:vm',
      state: engineState === 'error' ? ('failed' as const) : ('started' as const),
      node: 'node1',
      group: null,
      engineState,
    });
    const change = ha({});
    events2.emit('onDidChangeHa', {
      ...change,
      status: {
        ...change.status,
        engine: 'pve-ha',
        resources: [resource('vm:100', 'started'), resource('vm:101', 'error')],
      },
    });
    expect(await open(restarted)).toEqual(['ha-service-error vm:101']);
  });
});

describe("Quorate's own operations in the timeline", () => {
  it('records who ran a finished operation and how it ended, and opens its journal', async () => {
    const dir = home();
    const journal = fileJournalStore(dir);
    const plan = {
      op: 'create',
      cluster: 'web',
      provider: 'corosync' as const,
      steps: [{ id: 'write-conf@node1', machine: '198.18.0.11', title: 'write corosync.conf', action: { kind: 'x' } }],
      files: {},
      before: null,
      after: { expectedVotes: 1, quorum: 1, canLose: 0 },
      warnings: [],
      machines: {},
    };
    const base = { opId: 'create-web', plan: plan as never, startedAt: '2026-12-01T03:00:00.000Z' };
    await journal.save({ ...base, done: [], state: 'running', updatedAt: '2026-12-01T03:00:01.000Z' });
    await journal.save({ ...base, done: ['write-conf@node1'], state: 'done', updatedAt: '2026-12-01T03:00:05.000Z' });
    const h = createHistoryService({ home: dir, events: createEventHub(), now: () => 5, mergeOnConnect: false });
    const t = await h.listTimeline({ cluster: 'web' });
    expect(t.ok && t.value).toHaveLength(1);
    const entry = t.ok ? t.value[0]! : undefined;
    expect(entry?.kind).toBe('operation');
    expect(entry?.text).toMatch(/^create the cluster \(create\) by .+@.+: done$/);
    expect(entry?.opId).toBe('create-web');
    const j = await h.readOperationJournal({ opId: 'create-web' });
    expect(j.ok && j.value.steps).toEqual([
      { id: 'write-conf@node1', machine: '198.18.0.11', title: 'write corosync.conf', done: true },
    ]);
  });

  it('opens a journal by its id only: a path is refused, a damaged file says how to move it aside', async () => {
    const dir = home();
    const h = createHistoryService({ home: dir, events: createEventHub(), now: () => 5, mergeOnConnect: false });
    mkdirSync(join(dir, 'journal'), { recursive: true });
    writeFileSync(join(dir, 'secret.json'), JSON.stringify({ opId: '../secret', plan: {}, done: [] }));
    const escape = await h.readOperationJournal({ opId: '../secret' });
    expect(!escape.ok && escape.error.code).toBe('history.bad-journal-id');
    writeFileSync(join(dir, 'journal', 'join-web.json'), '{"opId": "join-web", "plan"');
    const torn = await h.readOperationJournal({ opId: 'join-web' });
    expect(!torn.ok && torn.error).toMatchObject({
      code: 'history.damaged-journal',
      hint: expect.stringMatching(/mv /),
    });
    const missing = await h.readOperationJournal({ opId: 'remove-web' });
    expect(!missing.ok && missing.error.code).toBe('history.no-journal');
  });
});

describe('while you were away: the agents’ journals', () => {
  const entry = (
    seq: number,
    at: number,
    kind: AgentJournalEntry['kind'],
    node: string | null,
    reporter: string,
  ): AgentJournalEntry => ({
    seq,
    at,
    kind,
    node,
    reporter,
    quorate: kind !== 'quorum-lost',
    members: [],
    message: `${kind}${node ? ` ${node}` : ''} (seen by ${reporter})`,
  });

  it('merges once, corrects each agent clock by its offset, keeps a change seen by two nodes once, and says so', async () => {
    const dir = home();
    await saveCluster(
      {
        name: 'web',
        provider: 'corosync',
        nodes: { node1: '198.18.0.11', node2: '198.18.0.12', node3: '198.18.0.13' },
      },
      dir,
    );
    const t0 = Date.parse('2026-12-01T03:12:00Z');
    // node2's clock runs 60 s ahead: its entries must land at the same desktop time as node1's.
    const journals: Record<string, Result<AgentJournalRead>> = {
      '198.18.0.11': ok({
        offsetMs: 0,
        errorBoundMs: 1,
        entries: [entry(1, t0, 'node-left', 'node3', 'node1'), entry(2, t0 + 120_000, 'node-joined', 'node3', 'node1')],
      }),
      '198.18.0.12': ok({
        offsetMs: 60_000,
        errorBoundMs: 1,
        entries: [entry(7, t0 + 60_500, 'node-left', 'node3', 'node2')],
      }),
      '198.18.0.13': { ok: false, error: { code: 'ssh.unreachable', message: 'down', hint: '' } },
    };
    const events = createEventHub();
    const notified: string[] = [];
    events.subscribe((e, p) => e === 'onDidNotify' && notified.push((p as Notice).kind));
    const h = createHistoryService({
      home: dir,
      events,
      now: () => t0 + 200_000,
      readAgentJournal: async (m) => journals[m]!,
      mergeOnConnect: false,
    });
    const r = await h.mergeAgentJournals('web');
    expect(r).toEqual({ added: 2, unreachable: ['node3'] });
    const ev = await h.listEvents({ cluster: 'web' });
    const list = ev.ok ? ev.value.events : [];
    expect(list.map((e) => [e.kind, e.node, e.at])).toEqual([
      ['node-left', 'node3', '2026-12-01T03:12:00.000Z'],
      ['node-joined', 'node3', '2026-12-01T03:14:00.000Z'],
      ['away', null, '2026-12-01T03:14:00.000Z'],
    ]);
    expect(list[0]!.message).toMatch(/also seen by node2/);
    expect(list[2]!.message).toMatch(
      /^While Quorate was closed: node3 left \d\d:\d\d–\d\d:\d\d \(times from the agents' clocks corrected by the measured offset: node1 \+0\.0 s, node2 \+60\.0 s\)$/,
    );
    // Replayed, not news: nothing is notified again.
    expect(notified).toEqual([]);
    // Merged once: a second read adds nothing.
    expect((await h.mergeAgentJournals('web')).added).toBe(0);
    await h.flushed();
    const cli = capture();
    const restarted = createHistoryService({
      home: dir,
      events: createEventHub(),
      now: () => 0,
      readAgentJournal: async (m) => journals[m]!,
      mergeOnConnect: false,
    });
    expect(
      await runEventsCommand(['web', '--since', '2026-12-01T03:13:00Z', '--json'], cli.io, { history: restarted }),
    ).toBe(0);
    expect(JSON.parse(cli.out.join(''))).toEqual({
      events: [
        {
          at: '2026-12-01T03:14:00.000Z',
          kind: 'node-joined',
          node: 'node3',
          message: expect.stringContaining('node3'),
        },
        {
          at: '2026-12-01T03:14:00.000Z',
          kind: 'away',
          node: null,
          message: expect.stringMatching(/^While Quorate was closed/),
        },
      ],
    });
    expect(cli.err.join('')).toMatch(/could not read the journal of node3/);
  });

  it('replays the journals to the timeline only: no onDidNotify, and no notice older than the live status', async () => {
    const dir = home();
    await saveCluster({ name: 'web', provider: 'corosync', nodes: { node1: '198.18.0.11' } }, dir);
    // "quorum lost" recorded by node1 while the cluster was being created, before the live status.
    const journal = ok({
      offsetMs: 0,
      errorBoundMs: 0,
      entries: [entry(1, 5_000, 'quorum-lost', null, 'node1'), entry(2, 9_000, 'node-left', 'node3', 'node1')],
    });
    const events = createEventHub();
    const notified: string[] = [];
    const timeline: (string | undefined)[] = [];
    events.subscribe((e, p) => {
      if (e === 'onDidNotify') {
        notified.push((p as Notice).kind);
      } else if (e === 'onDidAddTimelineEntry') {
        timeline.push((p as { kind?: string }).kind);
      }
    });
    const h = createHistoryService({
      home: dir,
      events,
      now: () => 20_000,
      mergeOnConnect: false,
      readAgentJournal: async () => journal,
    });
    // The live status (quorate, node3 offline) at 8 s: newer than the loss, older than node3 leaving.
    events.emit('onDidChangeQuorum', {
      cluster: 'web',
      status: { ...status({ node1: true, node3: false }, true), updatedAt: 8_000 },
    });
    expect((await h.mergeAgentJournals('web')).added).toBe(2);
    expect(notified).toEqual([]);
    expect(timeline).toEqual(['quorum-lost', 'node-left', 'away']);
    const open = await h.listNotices();
    expect(open.ok && open.value.map((n) => [n.kind, n.node])).toEqual([['node-left', 'node3']]);
    const tl = await h.listTimeline({ cluster: 'web' });
    expect(tl.ok && tl.value.map((e) => e.kind)).toEqual(['away', 'node-left', 'quorum-lost']);
  });

  it('skips what this desktop saw live', async () => {
    const dir = home();
    await saveCluster({ name: 'web', provider: 'corosync', nodes: { node1: '198.18.0.11' } }, dir);
    const events = createEventHub();
    const h = createHistoryService({
      home: dir,
      events,
      now: () => 0,
      mergeOnConnect: false,
      readAgentJournal: async () =>
        ok({ offsetMs: 0, errorBoundMs: 0, entries: [entry(1, 10_500, 'node-left', 'node3', 'node1')] }),
    });
    events.emit('onDidNotify', notice('node-left', 11_000, 'node3'));
    expect((await h.mergeAgentJournals('web')).added).toBe(0);
  });

  it('refuses a --since that is not a time', async () => {
    const cli = capture();
    const h = createHistoryService({ home: home(), events: createEventHub(), now: () => 0, mergeOnConnect: false });
    expect(await runEventsCommand(['web', '--since', '2026-13-45T99:99Z', '--local'], cli.io, { history: h })).toBe(1);
    expect(cli.err.join('')).toMatch(/is not a time/);
  });
});
