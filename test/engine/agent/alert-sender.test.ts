import { describe, expect, it } from 'vitest';
import { alertsToSend, createAgentAlertSender, debounce } from '../../../engine/agent/alert-sender';
import type { AlertEventKind } from '../../../engine/agent/alert-format';
import type { AgentJournalEntry, JournalView } from '../../../engine/agent/event-journal';
import { journalChanges, journalViewOf, numbered } from '../../../engine/agent/event-journal';
import type { QuorumStatusFact } from '../../../engine/agent/protocol';
import { ok } from '../../../engine/result';

function view(members: string[], local: string, quorate: boolean): JournalView {
  const s: QuorumStatusFact = {
    quorate,
    ringId: '1.1',
    nodes: members.length,
    expectedVotes: 3,
    totalVotes: members.length,
    quorum: 2,
    flags: [],
    members: members.map((name) => ({
      nodeid: Number(name.slice(4)),
      votes: 1,
      qdeviceFlags: [],
      name,
      local: name === local,
    })),
    qdeviceVotes: null,
  };
  return journalViewOf({ running: true, status: s });
}

/** What every node of a 3-node cluster sends when the membership goes from `a` to `b` (per node's own view). */
function everyone(
  before: Record<string, [string[], boolean]>,
  after: Record<string, [string[], boolean]>,
  lostHere: Record<string, boolean> = {},
) {
  const out: string[] = [];
  for (const node of Object.keys(after)) {
    const b = view(before[node]![0], node, before[node]![1]);
    const a = view(after[node]![0], node, after[node]![1]);
    const entries: AgentJournalEntry[] = numbered(journalChanges(b, a, 1000), 0);
    for (const e of alertsToSend('web', entries, a, b, lostHere[node] ?? false)) {
      out.push(`${node}: ${e.kind}${e.node ? ` ${e.node}` : ''}${e.here ? ' here' : ''}`);
    }
  }
  return out.sort();
}

const all: [string[], boolean] = [['node1', 'node2', 'node3'], true];

describe('which agent sends an alert', () => {
  it('node3 cut: node1 (lowest of the nodes that stayed quorate) says node3 left; node3 says it lost quorum', () => {
    expect(
      everyone(
        { node1: all, node2: all, node3: all },
        { node1: [['node1', 'node2'], true], node2: [['node1', 'node2'], true], node3: [['node3'], false] },
      ),
    ).toEqual(['node1: node-left node3', 'node3: quorum-lost here']);
  });

  it('node1 cut: node2 speaks for the cluster', () => {
    expect(
      everyone(
        { node1: all, node2: all, node3: all },
        { node1: [['node1'], false], node2: [['node2', 'node3'], true], node3: [['node2', 'node3'], true] },
      ),
    ).toEqual(['node1: quorum-lost here', 'node2: node-left node1']);
  });

  it('node1 rejoins: node2 (stayed quorate) says node1 joined; node1 says "regained here" only after it had said "lost here"', () => {
    const before = {
      node1: [['node1'], false] as [string[], boolean],
      node2: [['node2', 'node3'], true] as [string[], boolean],
      node3: [['node2', 'node3'], true] as [string[], boolean],
    };
    expect(everyone(before, { node1: all, node2: all, node3: all })).toEqual(['node2: node-joined node1']);
    expect(everyone(before, { node1: all, node2: all, node3: all }, { node1: true })).toEqual([
      'node1: quorum-regained here',
      'node2: node-joined node1',
    ]);
  });

  it('debounce drops a leave and rejoin of the same node', () => {
    const e = (kind: 'node-left' | 'node-joined', at: number) => ({
      cluster: 'web',
      kind,
      node: 'node3',
      at,
      source: 'node1',
    });
    expect(debounce([e('node-left', 1), e('node-joined', 2)])).toEqual([]);
  });
});

describe('the agent sender', () => {
  it('sends once per event even when the journal reports it twice, and only through agent channels', async () => {
    const sent: string[] = [];
    const timers: (() => void)[] = [];
    const sender = createAgentAlertSender({
      config: () => ({
        cluster: 'web',
        channels: [
          {
            id: 'ch-aaaaaa',
            kind: 'webhook',
            url: 'http://198.18.0.254:1/a',
            events: ['node-left'],
            fromAgents: true,
            cluster: null,
            secret: null,
          },
          {
            id: 'ch-bbbbbb',
            kind: 'webhook',
            url: 'http://198.18.0.254:1/b',
            events: ['node-left'],
            fromAgents: false,
            cluster: null,
            secret: null,
          },
        ],
      }),
      sent: new Map(),
      saveSent: () => undefined,
      sendMail: async () => ok(undefined),
      send: async (url) => {
        sent.push(url);
        return ok(undefined);
      },
      now: () => 5000,
      setTimer: (fn) => void timers.push(fn),
      log: () => undefined,
    });
    const b = view(['node1', 'node2', 'node3'], 'node1', true);
    const a = view(['node1', 'node2'], 'node1', true);
    const entries = numbered(journalChanges(b, a, 1000), 0);
    sender.observe(entries, a, b);
    sender.observe(entries, a, b);
    timers.splice(0).forEach((f) => f());
    await new Promise((r) => setTimeout(r, 5));
    expect(sent).toEqual(['http://198.18.0.254:1/a']);
  });
});

/**
 * A sender whose one webhook channel (for `events`) cannot be reached until `heal()`; `tick()` runs
 * the pending timers (debounce, retry waits); `sent` lists what got through as `kind node`.
 */
function cutOffSender(events: AlertEventKind[]) {
  const sent: string[] = [];
  const timers: (() => void)[] = [];
  let reachable = false;
  const sender = createAgentAlertSender({
    config: () => ({
      cluster: 'web',
      channels: [
        {
          id: 'ch-aaaaaa',
          kind: 'webhook',
          url: 'http://198.18.0.254:1/a',
          events,
          fromAgents: true,
          cluster: null,
          secret: null,
        },
      ],
    }),
    sent: new Map(),
    saveSent: () => undefined,
    sendMail: async () => ok(undefined),
    send: async (_url, _h, body) => {
      if (!reachable) {
        return { ok: false, error: { code: 'alerts.unreachable', message: 'cut', hint: '' } };
      }
      const b = JSON.parse(body) as { kind: string; node: string | null };
      sent.push(b.node ? `${b.kind} ${b.node}` : b.kind);
      return ok(undefined);
    },
    now: () => 5000,
    setTimer: (fn) => void timers.push(fn),
    log: () => undefined,
  });
  const tick = async (): Promise<void> => {
    await new Promise((r) => setTimeout(r, 2));
    timers.splice(0).forEach((f) => f());
    await new Promise((r) => setTimeout(r, 2));
  };
  return { sender, sent, tick, heal: () => void (reachable = true) };
}

describe('a "lost quorum here" that cannot get through', () => {
  it('is dropped once quorum is back, and no "regained here" follows', async () => {
    const { sender, sent, tick, heal } = cutOffSender(['quorum-lost', 'quorum-regained']);
    const b = view(['node1', 'node2', 'node3'], 'node3', true);
    const lost = view(['node3'], 'node3', false);
    sender.observe(numbered(journalChanges(b, lost, 1000), 0), lost, b);
    await tick(); // debounce → first try fails
    const healed = view(['node1', 'node2', 'node3'], 'node3', true);
    sender.observe(numbered(journalChanges(lost, healed, 2000), 10), healed, lost);
    heal();
    await tick();
    await tick();
    await tick();
    expect(sent).toEqual([]);
  });
});

describe('a membership alert that cannot get through', () => {
  it('is dropped once this node is no longer quorate: a retry after the heal would report a change that never was', async () => {
    const { sender, sent, tick, heal } = cutOffSender(['node-left', 'node-joined']);
    // node2 is being cut off: it first sees node1 go (still quorate with node3), then node3 too.
    const before = view(['node1', 'node2', 'node3'], 'node2', true);
    const half = view(['node2', 'node3'], 'node2', true);
    sender.observe(numbered(journalChanges(before, half, 1000), 0), half, before);
    await tick(); // debounce → "node1 left" is sent by node2, the first try fails (the cut)
    const alone = view(['node2'], 'node2', false);
    sender.observe(numbered(journalChanges(half, alone, 1500), 10), alone, half);
    heal(); // the cut heals while the retry waits
    await tick();
    await tick();
    await tick();
    expect(sent).toEqual([]);
  });
});
