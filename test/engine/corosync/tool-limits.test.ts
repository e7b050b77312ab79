/**
 * Tool output comes from managed machines: it is read in linear time, capped, and a cut-off
 * `corosync-quorumtool -s` is refused rather than read as a smaller healthy cluster.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QuorumWatchParser, type QuorumObservation } from '../../../engine/agent/quorum-status';
import { parseQuorumtoolStatus } from '../../../engine/corosync';
import { MAX_TOOL_LINE, MAX_TOOL_OUTPUT } from '../../../engine/corosync/tool-text';

const sample = readFileSync(join(__dirname, 'tool-samples', 'quorumtool-s-three-nodes-quorate', 'output.txt'), 'utf8');

describe('tool output limits', () => {
  it('reads long blank runs in linear time (/\\s+$/ took seconds on 40 KB)', () => {
    // 250 lines of 4000 blanks then a character: about 1 MB, each line just under the line cap.
    // With the old trailing-space regex this is ~2·10^9 steps; trimEnd makes it ~10^6.
    const noisy = sample.replace(
      'Quorate:          Yes\n',
      `Quorate:          Yes\n${`${' '.repeat(4000)}.\n`.repeat(250)}`,
    );
    const started = performance.now();
    const r = parseQuorumtoolStatus(noisy);
    expect(r.ok).toBe(false); // the noise lines are not "Key: value": refused, quickly
    expect(performance.now() - started).toBeLessThan(10_000); // generous: the quadratic version needs minutes
  });

  it('still parses trailing blanks and CRLF line ends', () => {
    const r = parseQuorumtoolStatus(sample.replace(/\n/g, '   \r\n'));
    expect(r.ok && r.value.members.map((m) => m.name)).toEqual(['node1', 'node2', 'node3']);
  });

  it('refuses a line over the cap with a message naming it', () => {
    const r = parseQuorumtoolStatus(sample.replace('Date:', `Date: ${'x'.repeat(MAX_TOOL_LINE)}`));
    expect(!r.ok && r.error.message).toMatch(/line 3: the line is \d+ characters long, more than the 4096/);
  });

  it('refuses output over the cap unparsed', () => {
    const r = parseQuorumtoolStatus(sample + '\n'.repeat(MAX_TOOL_OUTPUT));
    expect(!r.ok && r.error.message).toMatch(/more than the 1048576 Quorate reads from a machine; it was not parsed/);
  });
});

describe('a truncated corosync-quorumtool -s', () => {
  it('is refused when fewer member lines than "Nodes:" arrived', () => {
    const cut = sample.slice(0, sample.lastIndexOf('         3 '));
    const r = parseQuorumtoolStatus(cut);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toMatch(/"Nodes: 3" but 2 member line\(s\).*cut off/);
  });

  it('is still read whole', () => {
    expect(parseQuorumtoolStatus(sample).ok).toBe(true);
  });
});

describe('the watch parser', () => {
  it('drops a runaway line without holding it, then reads the next block', () => {
    const seen: QuorumObservation[] = [];
    const p = new QuorumWatchParser((o) => seen.push(o));
    const chunk = 'x'.repeat(1024);
    for (let i = 0; i < 4096; i++) {
      p.push(chunk);
    }
    p.push('\n');
    p.push(sample);
    p.endBlock();
    expect(seen.at(-1)?.status?.members).toHaveLength(3);
  });
});
