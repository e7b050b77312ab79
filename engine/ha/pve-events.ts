/**
 * Proxmox HA news from successive `ha-manager status` reads (issue 14 §3): previous memory + next
 * status → next memory + events. Pure; the clock is the caller's (`at`).
 *
 * What is news, and why:
 * - `recovered`: a guest runs again on another node after its node was lost. ha-manager takes it
 *   through `fence` (waiting for the lost node's watchdog) and `recovery` to `started` elsewhere; a
 *   poll may miss the short states, so a move whose old node's LRM is dead counts as well.
 * - `error`: a service entered `error` — HA gave up on it (max_restart / max_relocate spent) and no
 *   longer starts, stops or moves it. Once per entry into the state.
 * - `fencing-pending`: a node's services went to `fence`. One per node, naming every guest that
 *   waits, until no service waits on that node any more.
 * A move through `migrate` / `relocate`, or off a node whose LRM is alive, is someone's deliberate
 * migration (Quorate's own reports itself, engine/ha/pve-notices.ts) or HA moving it back to its
 * preferred node: not news. The first status only sets the baseline (what was already so when
 * Quorate started is shown by the HA panel, not announced again on every start), and a status read
 * from a node without quorum is ignored: that node's view of the others is not the cluster's.
 */
import type { HaStatus } from './types';

export interface PveServiceMemory {
  /** ha-manager's state at the last read. */
  readonly state: string;
  /** Where it was last seen `started`; null when never. */
  readonly ranOn: string | null;
  /** Went through `fence` or `recovery` since it last ran. */
  readonly lost: boolean;
}

export interface PveHaMemory {
  readonly services: Readonly<Record<string, PveServiceMemory>>;
  /** Nodes whose pending fencing was announced and still holds services. */
  readonly fencing: readonly string[];
}

export type PveHaEvent =
  | { readonly kind: 'recovered'; readonly sid: string; readonly from: string; readonly to: string }
  | { readonly kind: 'error'; readonly sid: string; readonly node: string | null }
  | { readonly kind: 'fencing-pending'; readonly node: string; readonly sids: readonly string[] };

const stateOf = (r: HaStatus['resources'][number]): string => r.engineState ?? r.state;

export function diffPveHa(
  prev: PveHaMemory | null,
  next: HaStatus,
): { readonly memory: PveHaMemory | null; readonly events: PveHaEvent[] } {
  if (next.quorate !== true) {
    return { memory: prev, events: [] };
  }
  const events: PveHaEvent[] = [];
  const services: Record<string, PveServiceMemory> = {};
  const dead = new Set(next.nodes.filter((n) => !n.online).map((n) => n.name));
  for (const r of next.resources) {
    const state = stateOf(r);
    const was = prev?.services[r.id];
    const lost = (was?.lost ?? false) || state === 'fence' || state === 'recovery';
    let ranOn = was?.ranOn ?? null;
    if (state === 'started' && r.node !== null) {
      if (prev && ranOn !== null && ranOn !== r.node && (lost || dead.has(ranOn))) {
        events.push({ kind: 'recovered', sid: r.id, from: ranOn, to: r.node });
      }
      ranOn = r.node;
      services[r.id] = { state, ranOn, lost: false };
    } else {
      services[r.id] = { state, ranOn: ranOn ?? (was === undefined ? r.node : null), lost };
    }
    if (prev && state === 'error' && was?.state !== 'error') {
      events.push({ kind: 'error', sid: r.id, node: r.node });
    }
  }
  const waiting = new Map<string, string[]>();
  for (const r of next.resources) {
    if (stateOf(r) === 'fence' && r.node) {
      waiting.set(r.node, [...(waiting.get(r.node) ?? []), r.id]);
    }
  }
  const fencing: string[] = [];
  for (const [node, sids] of waiting) {
    fencing.push(node);
    if (prev && !prev.fencing.includes(node)) {
      events.push({ kind: 'fencing-pending', node, sids: sids.sort() });
    }
  }
  // Fencing before recovery, as it happened; errors last.
  const order = { 'fencing-pending': 0, recovered: 1, error: 2 } as const;
  events.sort((a, b) => order[a.kind] - order[b.kind]);
  return { memory: { services, fencing: fencing.sort() }, events };
}
