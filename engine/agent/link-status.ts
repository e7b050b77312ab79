/**
 * `corosync-cfgtool -s` output → `LinkStatusFact`, the link part of `quorum.watch` events, and the
 * change filter that joins it with the quorum observation. Pure.
 *
 * Why `-s` and not `-n`: `-n` leaves out unreachable nodes (and this one), so a cut peer would simply
 * vanish; `-s` lists every nodelist node per link as connected or disconnected. Neither prints a
 * round-trip time, so the fact carries none.
 */
import { parseCfgtoolStatus, type CfgtoolStatus } from '../corosync/tool-cfgtool';
import type { LinkStatusFact, QuorumStatusFact } from './protocol';
import type { QuorumObservation } from './quorum-status';

/**
 * Project a parsed status onto the wire shape: peers without a nodeid (brief `-s -b` output) and
 * this node's own `localhost` row are left out — a peer must be named to be placed in a pair.
 */
export function linkStatusFact(s: CfgtoolStatus): LinkStatusFact {
  return {
    localNodeId: s.localNodeId,
    links: s.links.map((l) => ({
      linknumber: l.linknumber,
      address: l.address,
      peers: l.peers.flatMap((p) =>
        p.nodeid === undefined || p.status === 'localhost' || p.nodeid === s.localNodeId
          ? []
          : [{ nodeid: p.nodeid, connected: p.status === 'connected' }],
      ),
    })),
  };
}

/** Parse one `corosync-cfgtool -s` stdout; null when corosync did not answer with a link status. */
export function parseLinkStatus(text: string): LinkStatusFact | null {
  const parsed = parseCfgtoolStatus(text);
  return parsed.ok ? linkStatusFact(parsed.value) : null;
}

/** What one `quorum.watch` event carries besides its kind and time. */
export interface WatchObservation {
  readonly running: boolean;
  readonly status: QuorumStatusFact | null;
  readonly links: LinkStatusFact | null;
}

/**
 * Joins the latest quorum observation with the latest link status after each poll and calls back
 * only when the pair differs from what was last sent, so a link going down is reported even when
 * quorum does not change, and an unchanged poll sends nothing.
 */
export class WatchChangeFilter {
  readonly #onChange: (o: WatchObservation) => void;
  #quorum: QuorumObservation | null = null;
  #links: LinkStatusFact | null = null;
  #last: string | null = null;

  constructor(onChange: (o: WatchObservation) => void) {
    this.#onChange = onChange;
  }

  /** A new quorum observation (from `QuorumWatchParser`). */
  quorum(o: QuorumObservation): void {
    this.#quorum = o;
  }

  /** The link status of this poll; null when corosync did not answer. */
  links(l: LinkStatusFact | null): void {
    this.#links = l;
  }

  /** End of a poll: send if anything changed. Nothing is sent before the first quorum observation. */
  flush(): void {
    if (!this.#quorum) {
      return;
    }
    // corosync down: whatever cfgtool said last is no longer true.
    const links = this.#quorum.running ? this.#links : null;
    const o: WatchObservation = { running: this.#quorum.running, status: this.#quorum.status, links };
    const key = JSON.stringify(o);
    if (key === this.#last) {
      return;
    }
    this.#last = key;
    this.#onChange(o);
  }
}
