import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { QuorumStatusFact } from '../../../engine/agent/protocol';
import { parseQuorumStatus, QuorumWatchParser, type QuorumObservation } from '../../../engine/agent/quorum-status';
import { parseQuorumtoolStatus } from '../../../engine/corosync/tool-quorumtool';
import { unwrap } from '../../../engine/result';

const sample = (name: string): string =>
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'samples', name), 'utf8');

describe('parseQuorumStatus', () => {
  it('reads a two-node votequorum status with its local member', () => {
    const s = parseQuorumStatus(sample('quorumtool-2node.txt'));
    expect(s).toMatchObject({
      quorate: true,
      ringId: '1.9',
      nodes: 2,
      expectedVotes: 2,
      totalVotes: 2,
      quorum: 2,
      qdeviceVotes: null,
    });
    expect(s?.flags).toEqual(['2Node', 'Quorate', 'WaitForAll']);
    expect(s?.members).toEqual([
      { nodeid: 1, votes: 1, qdeviceFlags: [], name: 'node1', local: true },
      { nodeid: 2, votes: 1, qdeviceFlags: [], name: 'node2', local: false },
    ]);
  });

  it('reads QDevice flags per node and the QDevice vote line', () => {
    const s = parseQuorumStatus(sample('quorumtool-qdevice.txt'));
    expect(s?.qdeviceVotes).toBe(1);
    expect(s?.members.map((m) => [m.name, m.qdeviceFlags.join(','), m.local])).toEqual([
      ['node1', 'A,V,NMW', false],
      ['node2', 'A,V,NMW', true],
    ]);
  });

  it('returns null for output without a votequorum section', () => {
    expect(parseQuorumStatus('Cannot initialize QUORUM service\n')).toBeNull();
  });
});

describe('QuorumWatchParser', () => {
  it('emits once per change when polled, ignoring the Date line', () => {
    const seen: QuorumObservation[] = [];
    const p = new QuorumWatchParser((o) => seen.push(o));
    const a = sample('quorumtool-2node.txt');
    p.push(a);
    p.endBlock();
    p.push(a.replace('03:00:00', '03:00:01'));
    p.endBlock();
    expect(seen).toHaveLength(1);
    p.observeDown();
    p.observeDown();
    expect(seen.map((o) => o.running)).toEqual([true, false]);
    p.push(sample('quorumtool-qdevice.txt'));
    p.endBlock();
    expect(seen).toHaveLength(3);
    expect(seen[2]!.status?.qdeviceVotes).toBe(1);
  });

  it('reports each event of a real `-m` stream as soon as its block ends, whatever the chunking', () => {
    // Captured in the lab from `stdbuf -oL corosync-quorumtool -m` (3.1.7) across a cut of node2.
    const stream = sample('quorumtool-m-stream.txt');
    const firstEnd = stream.indexOf('node2\n\n') + 'node2\n\n'.length;
    for (const size of [1, 7, 64, stream.length]) {
      const seen: QuorumObservation[] = [];
      const p = new QuorumWatchParser((o) => seen.push(o));
      for (let i = 0; i < firstEnd; i += size) {
        p.push(stream.slice(i, Math.min(i + size, firstEnd)));
      }
      expect(seen.map((o) => o.status?.quorate)).toEqual([true]);
      for (let i = firstEnd; i < stream.length; i += size) {
        p.push(stream.slice(i, Math.min(i + size, stream.length)));
      }
      expect(seen.map((o) => [o.status?.quorate, o.status?.members.length, o.status?.ringId])).toEqual([
        [true, 2, '1.9'],
        [false, 1, '1.d'],
      ]);
    }
  });

  it('keeps QDevice rows in the block they belong to', () => {
    const seen: QuorumObservation[] = [];
    const p = new QuorumWatchParser((o) => seen.push(o));
    p.push(`${sample('quorumtool-qdevice.txt')}\n`);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.status?.qdeviceVotes).toBe(1);
  });

  it('also ends a block at a long dashed line', () => {
    const seen: QuorumObservation[] = [];
    const p = new QuorumWatchParser((o) => seen.push(o));
    p.push(sample('quorumtool-2node.txt'));
    expect(seen).toHaveLength(0);
    p.push(`${'-'.repeat(49)}\n`);
    expect(seen).toHaveLength(1);
  });
});

describe('the wire shape over every real `corosync-quorumtool -s` capture', () => {
  const dir = fileURLToPath(new URL('../corosync/tool-samples/', import.meta.url));
  const captures = readdirSync(dir)
    .filter((name) => /^corosync-quorumtool -s\b/.test(readFileSync(join(dir, name, 'command.txt'), 'utf8')))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name, 'output.txt'), 'utf8') }));

  it('finds the lab captures', () => {
    expect(captures.length).toBeGreaterThanOrEqual(10);
  });

  it('projects what engine/corosync reads onto the agent fact, member by member', () => {
    for (const { name, text } of captures) {
      const full = unwrap(parseQuorumtoolStatus(text));
      const fact = parseQuorumStatus(text);
      expect(fact, name).not.toBeNull();
      expect(fact, name).toMatchObject({
        quorate: full.quorate,
        ringId: full.ringId.raw,
        nodes: full.nodes,
        expectedVotes: full.votequorum?.expectedVotes,
        totalVotes: full.votequorum?.totalVotes,
        quorum: full.votequorum?.quorum,
        qdeviceVotes: full.qdevice?.votes ?? null,
      });
      expect(
        fact!.members.map((m) => [m.nodeid, m.votes, m.name, m.local]),
        name,
      ).toEqual(full.members.map((m) => [m.nodeid, m.votes, m.name, m.local]));
      // A Qdevice column gives every member its flags; without one, none has any.
      const hasColumn = /Votes\s+Qdevice\s+Name/.test(text);
      for (const m of fact!.members) {
        expect(m.qdeviceFlags.length > 0, `${name} ${m.name}`).toBe(hasColumn);
      }
    }
  });

  it('keeps per-node QDevice words as printed, NR included', () => {
    const text = captures.find((c) => c.name === 'quorumtool-s-qdevice-peer-unregistered')?.text ?? '';
    const fact = parseQuorumStatus(text);
    expect(fact?.members.map((m) => [m.name, m.qdeviceFlags])).toEqual([
      ['node1', ['A', 'V', 'NMW']],
      ['node2', ['NR']],
    ]);
    expect(fact?.flags).toEqual(['Quorate', 'Qdevice']);
  });

  it('returns null for a status from another quorum provider', () => {
    const text = captures[0]!.text.replace(/\nVotequorum information\n-+\n(?:.+\n)+/, '\n');
    expect(parseQuorumtoolStatus(text).ok).toBe(true);
    expect(parseQuorumStatus(text)).toBeNull();
  });

  it('cuts all captures, streamed back to back as `-m` prints them, into one event per change', () => {
    const stream = captures.map((c) => `${c.text.replace(/\n*$/, '')}\n\n`).join('');
    const expected: (QuorumStatusFact | null)[] = [];
    for (const { text } of captures) {
      const fact = parseQuorumStatus(text);
      if (JSON.stringify(fact) !== JSON.stringify(expected[expected.length - 1])) {
        expected.push(fact);
      }
    }
    expect(expected.length).toBeGreaterThan(captures.length / 2);
    for (const size of [1, 13, stream.length]) {
      const seen: QuorumObservation[] = [];
      const p = new QuorumWatchParser((o) => seen.push(o));
      for (let i = 0; i < stream.length; i += size) {
        p.push(stream.slice(i, i + size));
      }
      expect(seen.map((o) => o.status)).toEqual(expected);
      expect(seen.every((o) => o.running)).toBe(true);
    }
  });
});
