/**
 * The agents send push alerts themselves (when the user enabled "from the agents" on a channel), so
 * an alert does not depend on a laptop being open. Exactly one alert per event for the whole cluster:
 *
 * - membership and QDevice changes are sent by the lowest node id among the nodes that were in the
 *   quorate partition both before and after the change (a node that just rejoined does not speak
 *   for the cluster; the nodes that stayed do, and all of them compute the same lowest id);
 * - a node whose partition loses quorum sends "lost quorum here" when it is its partition's lowest
 *   node id — if it can reach the channel at all (a short retry, then it gives up: on heal the
 *   quorate side has told the story) — and "quorum regained here" only after that was delivered.
 *
 * Changes are debounced (DEBOUNCE_MS: a node that leaves and rejoins within it sends nothing) and
 * de-duplicated (the same event key within DEDUP_MS is sent once, also across agent restarts,
 * through the sent log). Pure decisions here; I/O (files, HTTP) is injected.
 */
import type { AlertChannel, AlertEvent, AlertEventKind } from './alert-format';
import { alertKey, alertMessage, channelsFor, httpRequestFor } from './alert-format';
import type { AgentJournalEntry, JournalView } from './event-journal';
import type { Result } from '../result';
import type { SmtpMessage } from './smtp.net';

export const DEBOUNCE_MS = 300;
export const DEDUP_MS = 120_000;

/** What the desktop pushes with `alerts.configure` (secrets included: stored 0600). */
export interface AgentAlertConfig {
  readonly cluster: string;
  readonly channels: readonly (AlertChannel & { readonly secret: string | null })[];
}

const MEMBERSHIP_KINDS: ReadonlySet<string> = new Set([
  'node-left',
  'node-joined',
  'qdevice-unreachable',
  'qdevice-reachable',
]);

/** Lowest nodeid among `names` as `ids` maps them; null when unknown. */
function lowest(names: readonly string[], ids: Readonly<Record<string, number>>): number | null {
  const known = names.map((n) => ids[n]).filter((x): x is number => x !== undefined);
  return known.length > 0 ? Math.min(...known) : null;
}

/**
 * The events this node must send for one journal change. `lostHereSent`: this node delivered
 * "lost quorum here" and has not yet said it is back.
 */
export function alertsToSend(
  cluster: string,
  entries: readonly AgentJournalEntry[],
  after: JournalView,
  before: JournalView | null,
  lostHereSent: boolean,
): AlertEvent[] {
  const local = after.local ?? before?.local ?? null;
  if (!local || !before) {
    return [];
  }
  const source = local;
  const out: AlertEvent[] = [];
  const ids = { ...(before.ids ?? {}), ...(after.ids ?? {}) };
  const localId = after.localNodeId ?? before.localNodeId;
  if (before.quorate === true && after.quorate === true) {
    const stable = before.members.filter((m) => after.members.includes(m));
    if (localId !== null && lowest(stable, ids) === localId) {
      for (const e of entries) {
        if (MEMBERSHIP_KINDS.has(e.kind)) {
          out.push({ cluster, kind: e.kind as AlertEventKind, node: e.node, at: e.at, source });
        }
      }
    }
  }
  if (before.quorate === true && after.quorate === false && localId !== null && after.lowestNodeId === localId) {
    const at = entries.find((e) => e.kind === 'quorum-lost')?.at ?? entries[0]?.at ?? 0;
    out.push({
      cluster,
      kind: 'quorum-lost',
      node: null,
      at,
      source,
      here: true,
      detail: `This partition (${after.members.join(', ')}) has ${after.votes} votes; quorum needs ${after.quorum}.`,
    });
  }
  if (before.quorate !== true && after.quorate === true && lostHereSent) {
    const at = entries.find((e) => e.kind === 'quorum-regained')?.at ?? entries[0]?.at ?? 0;
    out.push({ cluster, kind: 'quorum-regained', node: null, at, source, here: true });
  }
  return out;
}

/** Drops a leave and a rejoin of the same node that both fall in one debounce window. */
export function debounce(events: readonly AlertEvent[]): AlertEvent[] {
  const flips = new Set<string>();
  for (const e of events) {
    if (e.kind === 'node-left' && events.some((x) => x.kind === 'node-joined' && x.node === e.node && x.at >= e.at)) {
      flips.add(e.node ?? '');
    }
  }
  return events.filter((e) => !((e.kind === 'node-left' || e.kind === 'node-joined') && flips.has(e.node ?? '')));
}

export interface AgentAlertSenderDeps {
  readonly config: () => AgentAlertConfig | null;
  /** Sent log: event key → when sent (persisted by the caller). */
  readonly sent: Map<string, number>;
  readonly saveSent: () => void;
  readonly send: (url: string, headers: Readonly<Record<string, string>>, body: string) => Promise<Result<void>>;
  /** E-mail channels (engine/agent/smtp.net.ts in the agent). */
  readonly sendMail: (m: SmtpMessage) => Promise<Result<void>>;
  readonly now: () => number;
  readonly setTimer: (fn: () => void, ms: number) => void;
  readonly log: (line: string) => void;
  /** Tries per channel for one alert (the "can it reach the channel" budget). */
  readonly tries?: number;
}

export interface AgentAlertSender {
  /** The journal listener: entries of one change, the view after and before it. */
  observe(entries: readonly AgentJournalEntry[], after: JournalView, before: JournalView | null): void;
}

export function createAgentAlertSender(d: AgentAlertSenderDeps): AgentAlertSender {
  let batch: AlertEvent[] = [];
  let timer = false;
  let lostHereSent = false;
  const tries = d.tries ?? 3;

  // The latest view: a "lost quorum here" still waiting for a retry is dropped once quorum is back
  // (the quorate side has told the story by then; a late "lost here" would only confuse). Likewise a
  // membership alert this node sent while it still was quorate (e.g. "node1 left" seen on its way to
  // being cut off itself) is dropped once this node is no longer quorate: it no longer speaks for the
  // cluster, and a retry that gets through when the cut heals would report a change that never was.
  let current: JournalView | null = null;
  const stillTrue = (e: AlertEvent): boolean => {
    if (current === null) {
      return true;
    }
    if (e.here) {
      return e.kind !== 'quorum-lost' || current.quorate === false;
    }
    return current.quorate !== false;
  };

  const deliver = async (c: AgentAlertConfig['channels'][number], e: AlertEvent): Promise<boolean> => {
    const m = alertMessage(e);
    const spec = c.kind === 'email' ? null : httpRequestFor(c, e, m, c.secret);
    for (let i = 1; i <= tries; i++) {
      if (!stillTrue(e)) {
        d.log(`alerts: ${c.id}: ${e.kind} is over before it could be sent; dropped`);
        return false;
      }
      const r = spec
        ? await d.send(spec.url, spec.headers, spec.body)
        : await d.sendMail({
            url: c.url,
            password: c.secret,
            from: c.from ?? '',
            to: c.to ?? '',
            subject: m.title,
            text: m.text,
          });
      if (r.ok) {
        return true;
      }
      d.log(`alerts: ${c.id} try ${i}/${tries} for ${e.kind}: ${r.error.message}`);
      if (i < tries) {
        await new Promise<void>((res) => d.setTimer(res, 1_000 * 2 ** (i - 1)));
      }
    }
    return false;
  };

  const flush = (): void => {
    timer = false;
    const config = d.config();
    const events = debounce(batch);
    batch = [];
    if (!config) {
      return;
    }
    const now = d.now();
    for (const e of events) {
      const key = alertKey(e);
      const last = d.sent.get(key);
      if (last !== undefined && now - last < DEDUP_MS) {
        continue;
      }
      d.sent.set(key, now);
      for (const [k, at] of d.sent) {
        if (now - at > DEDUP_MS) {
          d.sent.delete(k);
        }
      }
      d.saveSent();
      const targets = channelsFor(
        config.channels.filter((c) => c.fromAgents),
        e,
      ) as AgentAlertConfig['channels'][number][];
      void Promise.all(targets.map((c) => deliver(c, e))).then((ok) => {
        if (e.here && e.kind === 'quorum-lost') {
          lostHereSent = ok.some(Boolean);
        }
        if (e.here && e.kind === 'quorum-regained') {
          lostHereSent = false;
        }
      });
    }
  };

  return {
    observe(entries, after, before) {
      current = after;
      const config = d.config();
      if (!config) {
        return;
      }
      batch.push(...alertsToSend(config.cluster, entries, after, before, lostHereSent));
      if (!timer && batch.length > 0) {
        timer = true;
        d.setTimer(flush, DEBOUNCE_MS);
      }
    },
  };
}
