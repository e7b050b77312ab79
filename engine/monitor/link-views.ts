/**
 * The link part of the node agents' `quorum.watch` events → link health per pair. Pure.
 *
 * Each node reports its own side of every knet link (corosync-cfgtool -s); a pair is directed: `a`
 * is the reporting node, `b` the peer as `a`'s corosync sees it. corosync prints no round-trip time,
 * so `rttMs` is always null here rather than a guess.
 */
import type { QuorumWatchEvent } from '../agent/protocol';
import { isLinkNumber, type LinkNumber } from '../model/cluster';
import { viewFromQuorumEvent } from './agent-views';
import { currentViews } from './health';

export interface LinkPairView {
  /** The reporting node. */
  readonly a: string;
  /** The peer. */
  readonly b: string;
  readonly linknumber: LinkNumber;
  readonly state: 'up' | 'down' | 'unknown';
  readonly rttMs: number | null;
}

/**
 * Pairs from the latest event of each reporting node. `names` maps corosync node ids to node names
 * for peers that are in no membership the reporter sees (a cut node); members' names come from the
 * event itself. A peer whose id no one can name is left out rather than shown under a made-up name.
 * Nodes whose agent sent no link status (not reachable, corosync down, an agent before 0.3.0) add
 * nothing. A node whose last membership view another node contradicts (`currentViews`: a cut
 * node's stream stays open, showing its last "all connected", until SSH notices) has its pairs shown
 * as 'unknown': its side of the link cannot be known until it reports again. Sorted by link, reporter, peer.
 */
export function linkPairsFromEvents(
  latest: ReadonlyMap<string, QuorumWatchEvent>,
  names: ReadonlyMap<number, string>,
): LinkPairView[] {
  const out: LinkPairView[] = [];
  const views = [...latest].map(([reporter, event]) => viewFromQuorumEvent(reporter, event));
  const current = new Set(currentViews(views).map((v) => v.reporter));
  for (const [reporter, event] of latest) {
    const links = event.running ? event.links : null;
    if (!links) {
      continue;
    }
    const byId = new Map(names);
    for (const m of event.status?.members ?? []) {
      byId.set(m.nodeid, m.name);
    }
    for (const link of links.links) {
      if (!isLinkNumber(link.linknumber)) {
        continue;
      }
      for (const peer of link.peers) {
        const b = byId.get(peer.nodeid);
        if (b === undefined || b === reporter) {
          continue;
        }
        out.push({
          a: reporter,
          b,
          linknumber: link.linknumber,
          state: !current.has(reporter) ? 'unknown' : peer.connected ? 'up' : 'down',
          rttMs: null,
        });
      }
    }
  }
  return out.sort((x, y) => x.linknumber - y.linknumber || cmp(x.a, y.a) || cmp(x.b, y.b));
}

function cmp(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
