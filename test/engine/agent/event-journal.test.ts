import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { journalChanges, journalViewOf, parseJournalLines } from '../../../engine/agent/event-journal';
import { startAgentJournal } from '../../../engine/agent/journal-watch.proc';
import type { QuorumStatusFact, QuorumWatchEvent } from '../../../engine/agent/protocol';

function status(
  members: string[],
  quorate: boolean,
  local = 'node1',
  qdeviceVotes: number | null = null,
): QuorumStatusFact {
  return {
    quorate,
    ringId: '1.1',
    nodes: members.length,
    expectedVotes: 3,
    totalVotes: members.length,
    quorum: 2,
    flags: [],
    members: members.map((name) => ({
      nodeid: Number(name.replace('node', '')),
      votes: 1,
      qdeviceFlags: [],
      name,
      local: name === local,
    })),
    qdeviceVotes,
  };
}
const ev = (s: QuorumStatusFact | null, at = 1): QuorumWatchEvent => ({
  kind: 'quorum',
  at,
  running: s !== null,
  status: s,
});

describe('the agent journal (pure)', () => {
  it('records nothing for the first view, then each member that leaves and quorum lost', () => {
    const a = journalViewOf(ev(status(['node1', 'node2', 'node3'], true)));
    expect(journalChanges(null, a, 1)).toEqual([]);
    const b = journalViewOf(ev(status(['node1'], false)));
    const kinds = journalChanges(a, b, 2).map((e) => [e.kind, e.node]);
    expect(kinds).toEqual([
      ['quorum-lost', null],
      ['node-left', 'node2'],
      ['node-left', 'node3'],
    ]);
  });

  it('records quorum regained and the node that came back', () => {
    const a = journalViewOf(ev(status(['node1'], false)));
    const b = journalViewOf(ev(status(['node1', 'node3'], true)));
    expect(journalChanges(a, b, 5).map((e) => e.kind)).toEqual(['quorum-regained', 'node-joined']);
  });

  it('records the QDevice losing and regaining its vote', () => {
    const a = journalViewOf(ev(status(['node1', 'node2'], true, 'node1', 1)));
    const b = journalViewOf(ev(status(['node1', 'node2'], true, 'node1', 0)));
    expect(journalChanges(a, b, 5).map((e) => e.kind)).toEqual(['qdevice-unreachable']);
    expect(journalChanges(b, a, 6).map((e) => e.kind)).toEqual(['qdevice-reachable']);
  });

  it('records corosync stopping, not a flood of node-left', () => {
    const a = journalViewOf(ev(status(['node1', 'node2'], true)));
    const b = journalViewOf(ev(null));
    expect(journalChanges(a, b, 5).map((e) => e.kind)).toEqual(['corosync-stopped']);
  });

  it('skips torn lines', () => {
    expect(parseJournalLines('{"seq":1,"at":2,"kind":"node-left"}\n{"seq":2,"at')).toHaveLength(1);
  });
});

describe('the agent journal on disk', () => {
  it('survives a restart: a change seen by the next agent against the saved view is journaled', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'quorate-journal-')), 'state');
    let t = 1_000;
    const feed = (events: QuorumWatchEvent[]) => async (emit: (e: QuorumWatchEvent) => void) => {
      for (const e of events) {
        emit(e);
      }
    };
    const first = await startAgentJournal({
      dir,
      now: () => t++,
      watch: feed([ev(status(['node1', 'node2', 'node3'], true)), ev(status(['node1', 'node2'], true))]),
    });
    await first.stop();
    expect((await first.read()).entries.map((e) => [e.kind, e.node])).toEqual([['node-left', 'node3']]);
    // Restarted while node2 left: the saved view makes it an entry, numbered after the first.
    const second = await startAgentJournal({ dir, now: () => t++, watch: feed([ev(status(['node1'], false))]) });
    await second.stop();
    const all = (await second.read()).entries;
    expect(all.map((e) => [e.seq, e.kind, e.node])).toEqual([
      [1, 'node-left', 'node3'],
      [2, 'quorum-lost', null],
      [3, 'node-left', 'node2'],
    ]);
    expect((await second.read(all[1]!.at)).entries).toHaveLength(2);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'journal.jsonl')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  });
});
