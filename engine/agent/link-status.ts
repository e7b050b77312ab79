/**
 * `corosync-cfgtool -s` output → `LinkStatusFact`, the link part of `quorum.watch` events, and the
 * change filter that joins it with the quorum observation. Pure.
 *
 * Why `-s` and not `-n`: `-n` leaves out unreachable nodes (and this one), so a cut peer would simply
 * vanish; `-s` lists every nodelist node per link as connected or disconnected. Neither prints a
 * round-trip time, so the fact carries none.
 */
import { parseCfgtoolStatus, type CfgtoolStatus } from '../corosync/tool-cfgtool';
import type { ConfigFact, LinkStatusFact, QuorumStatusFact } from './protocol';
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
  /** Present once `config()` was called (agent 0.4.0). */
  readonly config?: ConfigFact;
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
  #config: ConfigFact | undefined;
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

  /** The running config version and its file, as of this poll. */
  config(c: ConfigFact): void {
    this.#config = c;
  }

  /** End of a poll: send if anything changed. Nothing is sent before the first quorum observation. */
  flush(): void {
    if (!this.#quorum) {
      return;
    }
    // corosync down: whatever cfgtool said last is no longer true.
    const links = this.#quorum.running ? this.#links : null;
    const o: WatchObservation = {
      running: this.#quorum.running,
      status: this.#quorum.status,
      links,
      ...(this.#config ? { config: this.#config } : {}),
    };
    const key = JSON.stringify(o);
    if (key === this.#last) {
      return;
    }
    this.#last = key;
    this.#onChange(o);
  }
}

/**
 * `corosync-cmapctl -g totem.config_version` stdout (`totem.config_version (u64) = 3`) → 3; null
 * when the key is missing or the text is not that line.
 */
export function parseConfigVersion(text: string): number | null {
  const m = /^totem\.config_version\s+\(u\d+\)\s+=\s+(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : null;
}
