/**
 * Push alerts, the part the desktop and the node agents share (pure, so the agent bundle can carry
 * it: no package but node builtins). A channel's settings, the event an alert is about, the message
 * text (cluster, what happened, since when, the first thing to check) and the HTTP request each
 * HTTP channel kind takes. engine/alerts (desktop) and alert-sender (agent) both send through this.
 */

export type AlertChannelKind = 'webhook' | 'ntfy' | 'gotify' | 'email';

export type AlertEventKind =
  | 'quorum-lost'
  | 'quorum-regained'
  | 'node-left'
  | 'node-joined'
  | 'qdevice-unreachable'
  | 'qdevice-reachable'
  /** An HA guest / resource started again on another node after its node was lost. */
  | 'failover'
  /** A Proxmox HA service entered `error` (HA gave up on it), or a Pacemaker action failed. */
  | 'ha-error'
  /** A lost node's HA services wait for it to be fenced. */
  | 'fencing-pending'
  /** A migration Quorate started finished (verified on the target) / failed. */
  | 'migration-finished'
  | 'migration-failed';

/**
 * What a new channel gets unless the user picks: the bad news and its good news, not QDevice
 * recovery. Of the HA news, a guest recovered elsewhere (failover) and a guest HA gave up on
 * (ha-error: it stays down until someone acts, and nothing else says so). Not by default: pending
 * fencing (the normal first minute of every recovery; the node-left alert is already out and the
 * failover one follows) and a migration's end (whoever started it sees it end where they started it).
 */
export const DEFAULT_ALERT_EVENTS: readonly AlertEventKind[] = [
  'quorum-lost',
  'quorum-regained',
  'node-left',
  'node-joined',
  'qdevice-unreachable',
  'failover',
  'ha-error',
];

/** Kinds the node agents send themselves (from their corosync watch); the rest only a desktop sees. */
export const AGENT_ALERT_KINDS: readonly AlertEventKind[] = [
  'quorum-lost',
  'quorum-regained',
  'node-left',
  'node-joined',
  'qdevice-unreachable',
  'qdevice-reachable',
];

/** Every kind a channel can list: the agents' own, then those only a desktop sees (HA, migrations). */
export const ALERT_EVENT_KINDS: readonly AlertEventKind[] = [
  ...AGENT_ALERT_KINDS,
  'failover',
  'ha-error',
  'fencing-pending',
  'migration-finished',
  'migration-failed',
];

/** A channel as stored and as pushed to agents; `secret` only travels to agents, never into a file on the desktop. */
export interface AlertChannel {
  readonly id: string;
  readonly kind: AlertChannelKind;
  /** webhook: the URL; ntfy: the server; gotify: the server; email: smtp[s]://[user@]host[:port]. */
  readonly url: string;
  readonly topic?: string;
  readonly from?: string;
  readonly to?: string;
  readonly events: readonly AlertEventKind[];
  /** The agents send it (works with the desktop off); the desktop then does not. */
  readonly fromAgents: boolean;
  /** Only this cluster's events; null: every cluster. */
  readonly cluster: string | null;
}

export interface AlertEvent {
  readonly cluster: string;
  readonly kind: AlertEventKind;
  readonly node: string | null;
  /** When it happened (the sender's clock), ms. */
  readonly at: number;
  /** Who noticed: `desktop` or the sending node's name. */
  readonly source: string;
  /** Extra detail, e.g. the partition's members. */
  readonly detail?: string;
  /** The HA resource or guest (`vm:100`, `vip`) for HA and migration events. */
  readonly resource?: string;
  /** An inquorate partition's own alert ("lost quorum here"), sent by its lowest node. */
  readonly here?: boolean;
  /** A "test" message from the Settings view or `quorate alerts test`. */
  readonly test?: boolean;
}

export interface AlertMessage {
  readonly title: string;
  readonly text: string;
  /** 1 (min) .. 5 (max), as ntfy counts; Gotify uses 0..10 (×2). */
  readonly priority: number;
  readonly check: string;
}

const FIRST_CHECK: Readonly<Record<AlertEventKind, (e: AlertEvent) => string>> = {
  'quorum-lost': () =>
    'Restore power or network to the missing nodes first; `corosync-quorumtool -s` on a node shows who is still there. Lower expected votes only as the last resort.',
  'quorum-regained': () => 'Nothing urgent: quorum is back. Check why it was lost (the timeline in Quorate).',
  'node-left': (e) =>
    `Check that ${e.node ?? 'the node'} is powered on and reachable on its corosync link(s) (ping its ring address from another node).`,
  'node-joined': (e) => `Nothing urgent: ${e.node ?? 'the node'} is back in the membership.`,
  'qdevice-unreachable': () =>
    'Check that corosync-qnetd runs on the QDevice host and that port 5403/tcp is reachable from the nodes.',
  'qdevice-reachable': () => 'Nothing urgent: the QDevice votes again.',
  failover: (e) =>
    `Find out why its old node was lost, and check ${e.resource ?? 'the resource'} on ${e.node ?? 'its new node'} (it was restarted there).`,
  'ha-error': (e) =>
    `Read the task log of ${e.resource ?? 'the resource'}${e.node ? ` on ${e.node}` : ''}; once fixed, set it disabled and then started again (ha-manager set), or clean it up (crm_resource --cleanup).`,
  'fencing-pending': (e) =>
    `Nothing while it lasts a minute or two; if it stays, check ${e.node ?? 'the node'}'s watchdog and that the other nodes are quorate.`,
  'migration-finished': () => 'Nothing urgent: the guest runs on its new node.',
  'migration-failed': (e) => {
    const [kind, id] = (e.resource ?? '').split(':');
    const which = kind && id ? `--${kind} ${id}` : '--vm VMID';
    return `Read the migration's task log; the guest did not move. Run the pre-checks again: quorate migrate ${e.cluster} ${which} --to ${e.node ?? 'NODE'} --plan`;
  },
};

function what(e: AlertEvent): string {
  const n = e.node ?? 'a node';
  switch (e.kind) {
    case 'quorum-lost':
      return e.here ? `lost quorum here (${e.source}'s partition is not quorate)` : 'quorum lost';
    case 'quorum-regained':
      return 'quorum regained';
    case 'node-left':
      return `${n} left the cluster`;
    case 'node-joined':
      return `${n} joined the cluster again`;
    case 'qdevice-unreachable':
      return 'the QDevice stopped voting';
    case 'qdevice-reachable':
      return 'the QDevice votes again';
    case 'failover':
      return `${e.resource ?? 'failover'} recovered${e.node ? ` on ${e.node}` : ''}`;
    case 'ha-error':
      return `${e.resource ?? 'an HA resource'} is in HA error state${e.node ? ` on ${e.node}` : ''}`;
    case 'fencing-pending':
      return `${n} is waiting to be fenced`;
    case 'migration-finished':
      return `${e.resource ?? 'a guest'} migrated to ${n}`;
    case 'migration-failed':
      return `migration of ${e.resource ?? 'a guest'} to ${n} failed`;
  }
}

const HIGH: ReadonlySet<AlertEventKind> = new Set(['failover', 'ha-error', 'fencing-pending', 'migration-failed']);

/** The message every channel sends for an event. */
export function alertMessage(e: AlertEvent): AlertMessage {
  const since = new Date(e.at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const title = `${e.test ? '[test] ' : ''}${e.cluster}: ${what(e)}`;
  const check = FIRST_CHECK[e.kind](e);
  const lines = [
    e.test ? `This is a test from Quorate: the channel works.` : `${title}.`,
    `Since ${since} (seen by ${e.source}).`,
    ...(e.detail ? [e.detail] : []),
    `First thing to check: ${check}`,
  ];
  const priority =
    e.kind === 'quorum-lost'
      ? 5
      : e.kind.endsWith('left') || e.kind.endsWith('unreachable') || HIGH.has(e.kind)
        ? 4
        : 3;
  return { title, text: lines.join('\n'), priority, check };
}

/** Which channels take an event. */
export function channelsFor(channels: readonly AlertChannel[], e: AlertEvent): AlertChannel[] {
  return channels.filter((c) => (c.cluster === null || c.cluster === e.cluster) && c.events.includes(e.kind));
}

export interface HttpRequestSpec {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The POST an HTTP channel takes for a message; `secret` is Gotify's app token. */
export function httpRequestFor(
  c: AlertChannel,
  e: AlertEvent,
  m: AlertMessage,
  secret: string | null,
): HttpRequestSpec {
  const base = c.url.replace(/\/+$/, '');
  switch (c.kind) {
    case 'ntfy':
      return {
        url: `${base}/${encodeURIComponent(c.topic ?? 'quorate')}`,
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          // ntfy takes the title from a header; non-ASCII must be RFC 2047 encoded there.
          title: asciiHeader(m.title),
          priority: String(m.priority),
          tags: e.kind,
        },
        body: m.text,
      };
    case 'gotify':
      return {
        url: `${base}/message`,
        headers: { 'content-type': 'application/json', 'x-gotify-key': secret ?? '' },
        body: JSON.stringify({ title: m.title, message: m.text, priority: m.priority * 2 }),
      };
    case 'webhook':
    default:
      return {
        url: c.url,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          cluster: e.cluster,
          kind: e.kind,
          node: e.node,
          ...(e.resource ? { resource: e.resource } : {}),
          at: new Date(e.at).toISOString(),
          source: e.source,
          here: e.here ?? false,
          test: e.test ?? false,
          title: m.title,
          message: m.text,
          check: m.check,
        }),
      };
  }
}

function asciiHeader(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${btoa(String.fromCharCode(...new TextEncoder().encode(s)))}?=`;
}

/** A channel URL problem, or null: only http(s) for HTTP kinds, smtp(s) for e-mail. */
export function channelUrlProblem(kind: AlertChannelKind, url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (kind === 'email') {
    return u.protocol === 'smtp:' || u.protocol === 'smtps:'
      ? null
      : `an SMTP server is smtp://host:587 (STARTTLS) or smtps://host:465 (TLS), not ${u.protocol}//`;
  }
  return u.protocol === 'http:' || u.protocol === 'https:'
    ? null
    : `only http:// and https:// URLs can be used, not ${u.protocol}//`;
}

/** De-duplication key: the same event (kind, node) within `windowMs` is one alert. */
export function alertKey(e: Pick<AlertEvent, 'cluster' | 'kind' | 'node' | 'here'>): string {
  return `${e.cluster}|${e.kind}|${e.node ?? ''}|${e.here ? 'here' : ''}`;
}
