import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLinkStatus } from '../../../engine/agent/link-status';
import type { QuorumWatchEvent } from '../../../engine/agent/protocol';
import { parseQuorumStatus } from '../../../engine/agent/quorum-status';
import { linkPairsFromEvents } from '../../../engine/monitor/link-views';

// Real corosync 3.1.7 captures from the lab: node1's view, healthy and with node3 cut; node3's view when cut.
const capture = (dir: string): string =>
  readFileSync(join(import.meta.dirname, '..', 'corosync', 'tool-samples', dir, 'output.txt'), 'utf8');
const event = (quorumtool: string, cfgtool: string | null): QuorumWatchEvent => ({
  kind: 'quorum',
  at: 1,
  running: true,
  status: parseQuorumStatus(capture(quorumtool)),
  ...(cfgtool === null ? {} : { links: parseLinkStatus(capture(cfgtool)) }),
});

describe('link health per pair from agent events', () => {
  it('gives the reporter a pair to every member, up, with no made-up round trip', () => {
    const pairs = linkPairsFromEvents(
      new Map([['node1', event('quorumtool-s-three-nodes-quorate', 'cfgtool-s-three-nodes')]]),
      new Map(),
    );
    expect(pairs).toEqual([
      { a: 'node1', b: 'node2', linknumber: 0, state: 'up', rttMs: null },
      { a: 'node1', b: 'node3', linknumber: 0, state: 'up', rttMs: null },
    ]);
  });

  it('marks a cut peer down on the survivor, naming it from the nodes seen before', () => {
    const latest = new Map([
      ['node1', event('quorumtool-s-two-of-three-quorate', 'cfgtool-s-peer-cut')],
      ['node3', event('quorumtool-s-cut-node-inquorate', 'cfgtool-s-cut-node')],
    ]);
    const pairs = linkPairsFromEvents(
      latest,
      new Map([
        [1, 'node1'],
        [2, 'node2'],
        [3, 'node3'],
      ]),
    );
    expect(pairs.map((p) => `${p.a}->${p.b}:${p.state}`)).toEqual([
      'node1->node2:up',
      'node1->node3:down',
      'node3->node1:down',
      'node3->node2:down',
    ]);
  });

  it('shows a cut node\'s last "all connected" as unknown once the survivors no longer list it', () => {
    // node3's stream still holds its pre-cut view (the healthy captures stand in for it: all three members).
    const latest = new Map([
      ['node1', event('quorumtool-s-two-of-three-quorate', 'cfgtool-s-peer-cut')],
      ['node3', event('quorumtool-s-three-nodes-quorate', 'cfgtool-s-three-nodes')],
    ]);
    const pairs = linkPairsFromEvents(
      latest,
      new Map([
        [1, 'node1'],
        [2, 'node2'],
        [3, 'node3'],
      ]),
    );
    expect(pairs.filter((p) => p.a === 'node1').map((p) => p.state)).toEqual(['up', 'down']);
    const stale = pairs.filter((p) => p.a === 'node3');
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.every((p) => p.state === 'unknown')).toBe(true);
  });

  it('leaves out a peer nobody can name instead of inventing a name', () => {
    const latest = new Map([['node1', event('quorumtool-s-two-of-three-quorate', 'cfgtool-s-peer-cut')]]);
    expect(linkPairsFromEvents(latest, new Map()).map((p) => p.b)).toEqual(['node2']);
  });

  it('adds nothing for an agent without link reports or with corosync down', () => {
    const old = event('quorumtool-s-three-nodes-quorate', null);
    const down: QuorumWatchEvent = { kind: 'quorum', at: 1, running: false, status: null, links: null };
    expect(
      linkPairsFromEvents(
        new Map([
          ['node1', old],
          ['node2', down],
        ]),
        new Map([[1, 'node1']]),
      ),
    ).toEqual([]);
  });
});
