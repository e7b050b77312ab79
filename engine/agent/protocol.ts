/**
 * The node agent's wire contract: the ONE file both sides derive from.
 *
 * Transport: newline-delimited JSON over a root-only unix socket (reached from the desktop through SSH
 * stream-local forwarding). Requests `{id, method, params}`; replies `{id, result}` or
 * `{id, error: {code, message, hint}}`; streaming methods (`quorum.watch`) send `{id, event}` until
 * cancelled (`cancel {id}`) or the connection closes. Methods are declared as data (`AGENT_METHODS`)
 * with a validator for their params, so the daemon refuses bad input with a path-bearing message.
 *
 * Compatibility: `AGENT_PROTOCOL_VERSION` bumps only on breaking changes; new methods may be added
 * (e.g. `config.read` / `config.write`) without a bump — clients ask `hello` for `methods`.
 */
import type { QuorateError, Result } from '../result';
import type { AgentAlertConfig } from './alert-sender';
import type { AgentJournalEntry } from './event-journal';

/** Breaking wire changes bump this. */
export const AGENT_PROTOCOL_VERSION = 1;
/** The agent build's version, written to /usr/local/lib/quorate-agent/VERSION on install. */
export const AGENT_VERSION = '0.4.0';

/** UDP ports a probe may use: corosync/knet's range, so a firewall that blocks corosync is caught. */
export const PROBE_PORT_MIN = 5405;
export const PROBE_PORT_MAX = 5412;

// ---- results ---------------------------------------------------------------------------------

export interface HelloResult {
  readonly agentVersion: string;
  readonly protocolVersion: number;
  readonly nodeVersion: string;
  readonly pid: number;
  readonly methods: readonly string[];
}

/** One sub-fact: collected, or why not (a failing sub-fact never fails the whole `facts` call). */
export type Fact<T> = Result<T>;

export interface OsRelease {
  readonly id: string | null;
  readonly versionId: string | null;
  readonly versionCodename: string | null;
  readonly prettyName: string | null;
}

export interface NetworkInterfaceFact {
  readonly name: string;
  /** `198.18.0.1/24`, `fe80::1/64`. */
  readonly addresses: readonly string[];
  readonly mac: string | null;
  readonly internal: boolean;
}

export interface ClusterConfigFact {
  /** Raw /etc/corosync/corosync.conf, null when absent. */
  readonly corosyncConf: string | null;
  /** Raw /etc/pve/corosync.conf (Proxmox's cluster-wide copy), null when absent. */
  readonly pveCorosyncConf: string | null;
  readonly authkeyExists: boolean;
}

export interface QuorumMemberFact {
  readonly nodeid: number;
  readonly votes: number;
  /** QDevice flags per node (A/NA, V/NV, MW/NMW, NR); empty without a QDevice. */
  readonly qdeviceFlags: readonly string[];
  readonly name: string;
  readonly local: boolean;
}

/** The parts of `corosync-quorumtool -s` watchers and pre-flight need. */
export interface QuorumStatusFact {
  readonly quorate: boolean;
  readonly ringId: string | null;
  readonly nodes: number;
  readonly expectedVotes: number;
  readonly totalVotes: number;
  readonly quorum: number;
  readonly flags: readonly string[];
  readonly members: readonly QuorumMemberFact[];
  /** Votes the QDevice casts now, null without a QDevice. */
  readonly qdeviceVotes: number | null;
}

export interface MembershipFact {
  /** Whether corosync answered at all. */
  readonly running: boolean;
  /** Raw `corosync-quorumtool -s` stdout (empty when corosync is not running). */
  readonly raw: string;
  readonly status: QuorumStatusFact | null;
}

export interface GuestFact {
  readonly vmid: number;
  readonly name: string;
  readonly kind: 'qemu' | 'lxc';
  readonly status: string;
}

export interface TimeSyncFact {
  readonly source: 'timedatectl' | 'chronyc' | 'none';
  /** null when the source cannot tell ("no NTP daemon" gives null). */
  readonly synchronized: boolean | null;
  /** One line for the user: "NTP synchronized (timedatectl)", "no NTP daemon". */
  readonly summary: string;
  readonly raw: string;
}

export interface PackageVersions {
  /** `3.1.7`, null when not installed. */
  readonly corosync: string | null;
  readonly corosyncQdevice: string | null;
  readonly corosyncQnetd: string | null;
  /** pve-manager version from `pveversion`, null on plain Debian. */
  readonly pve: string | null;
}

export interface FactsResult {
  readonly agentVersion: string;
  readonly nodeVersion: string;
  /** Agent wall clock when collected, ms since the epoch. */
  readonly collectedAt: number;
  readonly hostname: Fact<string>;
  readonly machineId: Fact<string>;
  readonly osRelease: Fact<OsRelease>;
  readonly kernel: Fact<string>;
  /** `x86_64`, `aarch64`. */
  readonly arch: Fact<string>;
  /** `GenuineIntel`, `AuthenticAMD`; null when /proc/cpuinfo names none (e.g. most ARM). */
  readonly cpuVendor: Fact<string | null>;
  readonly versions: {
    readonly corosync: Fact<string | null>;
    readonly corosyncQdevice: Fact<string | null>;
    readonly corosyncQnetd: Fact<string | null>;
    readonly pve: Fact<string | null>;
  };
  readonly interfaces: Fact<readonly NetworkInterfaceFact[]>;
  readonly clusterConfig: Fact<ClusterConfigFact>;
  readonly membership: Fact<MembershipFact>;
  /** Guests from `qm list` / `pct list`; empty where those commands do not exist. */
  readonly guests: Fact<readonly GuestFact[]>;
  readonly timeSync: Fact<TimeSyncFact>;
}

export interface ClockResult {
  /** Agent wall clock, ms since the epoch, sub-millisecond resolution. */
  readonly wallMs: number;
}

export interface ProbeListenParams {
  /** UDP ports in 5405..5412 to answer on. */
  readonly ports: readonly number[];
  /** How long to answer, ms (1..600000). */
  readonly durationMs: number;
  /** Bind address; all addresses when absent. */
  readonly address?: string;
}

export interface ProbeListenResult {
  readonly ports: readonly number[];
  /** Agent wall clock when the responder stops, ms. */
  readonly untilMs: number;
}

export interface ProbeMeasureParams {
  /** Peer address (IPv4 or IPv6 literal). */
  readonly host: string;
  readonly port: number;
  /** Datagrams to send, 1..1000. */
  readonly count: number;
  /** Gap between sends, ms, 1..5000. */
  readonly intervalMs: number;
  /** How long to wait for the last reply after the last send, ms, 1..10000. */
  readonly timeoutMs: number;
  /**
   * Datagrams sent first and not counted, 0..10 (default 0; since agent 0.2.0): the first ones pay
   * for ARP and a cold JIT, not for the network.
   */
  readonly warmup?: number;
  /** Local address to send from (the link's own address); any when absent (since agent 0.2.0). */
  readonly source?: string;
}

export interface ProbeStats {
  readonly sent: number;
  readonly received: number;
  /** 0..100. */
  readonly lossPercent: number;
  /** null when nothing came back. */
  readonly rttMinMs: number | null;
  readonly rttAvgMs: number | null;
  readonly rttMaxMs: number | null;
  /** Mean absolute difference of consecutive RTTs (in send order), ms; null with < 1 reply. */
  readonly jitterMs: number | null;
}

export interface ProbeMeasureResult extends ProbeStats {
  readonly host: string;
  readonly port: number;
  /**
   * The RTT of every reply, ms, in send order (since agent 0.2.0; absent from older agents), so the
   * caller can summarise differently (pre-flight drops the slowest tenth on a busy machine).
   */
  readonly rttsMs?: readonly number[];
}

export interface QuorumWatchParams {
  /** Poll period, ms, 100..5000 (default 400). */
  readonly intervalMs?: number;
}

/** One peer on one knet link, as this node's corosync sees it (`corosync-cfgtool -s`). */
export interface LinkPeerFact {
  readonly nodeid: number;
  readonly connected: boolean;
}

/** One of this node's links and the state of every other nodelist node on it. */
export interface LinkFact {
  /** 0..7. */
  readonly linknumber: number;
  /** This node's address on the link. */
  readonly address: string;
  /** Every nodelist node but this one, in corosync's order (unreachable ones included, as disconnected). */
  readonly peers: readonly LinkPeerFact[];
}

/** This node's view of its links to every peer (`corosync-cfgtool -s`); no round-trip times. */
export interface LinkStatusFact {
  readonly localNodeId: number;
  readonly links: readonly LinkFact[];
}

/** A change in what corosync reports; the first event is the state at subscription. */
export interface QuorumWatchEvent {
  readonly kind: 'quorum';
  /** Agent wall clock, ms. */
  readonly at: number;
  readonly running: boolean;
  readonly status: QuorumStatusFact | null;
  /**
   * Link state per peer (since agent 0.3.0; absent from older agents): null when corosync did not
   * answer `corosync-cfgtool -s`. A change here alone also sends an event.
   */
  readonly links?: LinkStatusFact | null;
  /**
   * corosync's configuration as this node holds it (since agent 0.4.0; absent from older agents).
   * Sent with the first event and again whenever the running `totem.config_version` or the ring id
   * changes, so watchers re-read the nodelist and QDevice after any change, made by Quorate or not.
   */
  readonly config?: ConfigFact;
}

/** corosync's running config version and the file it came from. */
export interface ConfigFact {
  /** `totem.config_version` in corosync's cmap (the running configuration); null when corosync did not answer. */
  readonly configVersion: number | null;
  /** /etc/corosync/corosync.conf, read when that version (or ring) was first seen; null when absent. */
  readonly corosyncConf: string | null;
}

export interface JournalReadParams {
  /** Only entries at or after this agent time, ms (all when absent). */
  readonly since?: number;
}

export interface JournalReadResult {
  /** Agent wall clock when read, ms: with the measured offset, the reader corrects the entries' times. */
  readonly wallMs: number;
  readonly entries: readonly AgentJournalEntry[];
}

export interface CancelParams {
  /** The `id` of the streaming request to stop. */
  readonly id: number;
}

/** Every method's params and result (events for streams). The map the client and daemon share. */
export interface AgentMethods {
  hello: { params: Record<string, never>; result: HelloResult };
  facts: { params: Record<string, never>; result: FactsResult };
  clock: { params: Record<string, never>; result: ClockResult };
  'probe.listen': { params: ProbeListenParams; result: ProbeListenResult };
  'probe.measure': { params: ProbeMeasureParams; result: ProbeMeasureResult };
  /** Resolves `{ cancelled: true }` when the watch ends; events meanwhile. */
  'quorum.watch': { params: QuorumWatchParams; result: { cancelled: true }; event: QuorumWatchEvent };
  cancel: { params: CancelParams; result: { cancelled: boolean } };
  /** This node's journal of quorum and membership changes (since agent 0.4.0). */
  'journal.read': { params: JournalReadParams; result: JournalReadResult };
  /** Replace this node's alert channels (secrets included; stored root-only 0600). Since agent 0.4.0. */
  'alerts.configure': { params: AgentAlertConfig; result: { channels: number } };
}

export type AgentMethod = keyof AgentMethods;
export type ParamsOf<M extends AgentMethod> = AgentMethods[M]['params'];
export type ResultOf<M extends AgentMethod> = AgentMethods[M]['result'];

// ---- wire messages ---------------------------------------------------------------------------

export interface AgentRequest {
  readonly id: number;
  readonly method: string;
  readonly params?: unknown;
}

export type AgentReply =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: QuorateError }
  | { readonly id: number; readonly event: unknown };

// ---- validators ------------------------------------------------------------------------------

/** A problem with params, with a path: `params.ports[1]: must be 5405..5412, got 22`. */
export type Validator<T> = (value: unknown) => { ok: true; value: T } | { ok: false; problem: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function intIn(path: string, v: unknown, min: number, max: number): string | null {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    return `${path}: expected an integer, got ${JSON.stringify(v)}`;
  }
  if (v < min || v > max) {
    return `${path}: must be ${min}..${max}, got ${v}`;
  }
  return null;
}

function noParams(value: unknown): { ok: true; value: Record<string, never> } | { ok: false; problem: string } {
  if (value === undefined || value === null || (isObject(value) && Object.keys(value).length === 0)) {
    return { ok: true, value: {} };
  }
  return { ok: false, problem: 'params: this method takes no parameters' };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]+$/;

function validateAddress(path: string, v: unknown): string | null {
  if (typeof v !== 'string' || !(IPV4.test(v) || (v.includes(':') && IPV6.test(v)))) {
    return `${path}: expected an IPv4 or IPv6 address, got ${JSON.stringify(v)}`;
  }
  return null;
}

function withProblems<T>(
  value: unknown,
  problems: (string | null)[],
): { ok: true; value: T } | { ok: false; problem: string } {
  const found = problems.filter((p): p is string => p !== null);
  return found.length > 0 ? { ok: false, problem: found.join('; ') } : { ok: true, value: value as T };
}

const validateProbeListen: Validator<ProbeListenParams> = (v) => {
  if (!isObject(v)) {
    return { ok: false, problem: 'params: expected an object {ports, durationMs}' };
  }
  const problems: (string | null)[] = [];
  if (!Array.isArray(v.ports) || v.ports.length === 0 || v.ports.length > 8) {
    problems.push('params.ports: expected 1..8 ports');
  } else {
    v.ports.forEach((p, i) => problems.push(intIn(`params.ports[${i}]`, p, PROBE_PORT_MIN, PROBE_PORT_MAX)));
    if (new Set(v.ports).size !== v.ports.length) {
      problems.push('params.ports: ports must be distinct');
    }
  }
  problems.push(intIn('params.durationMs', v.durationMs, 1, 600_000));
  if (v.address !== undefined) {
    problems.push(validateAddress('params.address', v.address));
  }
  return withProblems(v, problems);
};

const validateProbeMeasure: Validator<ProbeMeasureParams> = (v) => {
  if (!isObject(v)) {
    return {
      ok: false,
      problem: 'params: expected an object {host, port, count, intervalMs, timeoutMs, warmup?, source?}',
    };
  }
  return withProblems(v, [
    validateAddress('params.host', v.host),
    intIn('params.port', v.port, PROBE_PORT_MIN, PROBE_PORT_MAX),
    intIn('params.count', v.count, 1, 1000),
    intIn('params.intervalMs', v.intervalMs, 1, 5000),
    intIn('params.timeoutMs', v.timeoutMs, 1, 10_000),
    v.warmup === undefined ? null : intIn('params.warmup', v.warmup, 0, 10),
    v.source === undefined ? null : validateAddress('params.source', v.source),
  ]);
};

const validateQuorumWatch: Validator<QuorumWatchParams> = (v) => {
  if (v === undefined || v === null) {
    return { ok: true, value: {} };
  }
  if (!isObject(v)) {
    return { ok: false, problem: 'params: expected an object {intervalMs?}' };
  }
  return withProblems(v, [v.intervalMs === undefined ? null : intIn('params.intervalMs', v.intervalMs, 100, 5000)]);
};

const validateJournalRead: Validator<JournalReadParams> = (v) => {
  if (v === undefined || v === null) {
    return { ok: true, value: {} };
  }
  if (!isObject(v)) {
    return { ok: false, problem: 'params: expected an object {since?}' };
  }
  return withProblems(v, [v.since === undefined ? null : intIn('params.since', v.since, 0, Number.MAX_SAFE_INTEGER)]);
};

const CHANNEL_KINDS = ['webhook', 'ntfy', 'gotify', 'email'];
const validateAlertsConfigure: Validator<AgentAlertConfig> = (v) => {
  if (!isObject(v) || typeof v.cluster !== 'string' || !Array.isArray(v.channels)) {
    return { ok: false, problem: 'params: expected an object {cluster, channels: [...]}' };
  }
  if (v.channels.length > 32) {
    return { ok: false, problem: 'params.channels: at most 32 channels' };
  }
  const problems = v.channels.map((c, i) =>
    isObject(c) &&
    typeof c.id === 'string' &&
    typeof c.url === 'string' &&
    typeof c.kind === 'string' &&
    CHANNEL_KINDS.includes(c.kind) &&
    Array.isArray(c.events)
      ? null
      : `params.channels[${i}]: expected {id, kind, url, events, fromAgents, cluster, secret}`,
  );
  return withProblems(v, problems);
};

const validateCancel: Validator<CancelParams> = (v) => {
  if (!isObject(v)) {
    return { ok: false, problem: 'params: expected an object {id}' };
  }
  return withProblems(v, [intIn('params.id', v.id, 0, Number.MAX_SAFE_INTEGER)]);
};

export interface MethodSpec<M extends AgentMethod> {
  readonly summary: string;
  readonly stream: boolean;
  readonly validate: Validator<ParamsOf<M>>;
}

/** The methods, as data. Adding one here (and to `AgentMethods`) is all the contract needs. */
export const AGENT_METHODS: { readonly [M in AgentMethod]: MethodSpec<M> } = {
  hello: { summary: 'agent and protocol versions, method list', stream: false, validate: noParams },
  facts: {
    summary: 'what this machine is: OS, corosync, Proxmox, interfaces, cluster config, guests, time sync',
    stream: false,
    validate: noParams,
  },
  clock: {
    summary: 'the agent wall clock, for offset measurement with round-trip correction',
    stream: false,
    validate: noParams,
  },
  'probe.listen': {
    summary: 'answer UDP probes on corosync ports for a while',
    stream: false,
    validate: validateProbeListen,
  },
  'probe.measure': {
    summary: 'send UDP probes to a peer and measure RTT, jitter, loss',
    stream: false,
    validate: validateProbeMeasure,
  },
  'quorum.watch': {
    summary: 'stream quorum, membership and link state changes',
    stream: true,
    validate: validateQuorumWatch,
  },
  cancel: { summary: 'stop a streaming request', stream: false, validate: validateCancel },
  'alerts.configure': {
    summary: 'store the alert channels this node sends from (root-only file)',
    stream: false,
    validate: validateAlertsConfigure,
  },
  'journal.read': {
    summary: "this node's journal of quorum and membership changes, with the agent clock",
    stream: false,
    validate: validateJournalRead,
  },
};

export function isAgentMethod(name: string): name is AgentMethod {
  return Object.prototype.hasOwnProperty.call(AGENT_METHODS, name);
}

/** Classify one decoded line as a request, or say why it is not one. */
export function parseRequest(
  value: unknown,
): { ok: true; value: AgentRequest } | { ok: false; id: number | null; problem: string } {
  if (!isObject(value)) {
    return { ok: false, id: null, problem: 'request: expected a JSON object {id, method, params}' };
  }
  const id = typeof value.id === 'number' && Number.isInteger(value.id) && value.id >= 0 ? value.id : null;
  if (id === null) {
    return { ok: false, id: null, problem: 'request.id: expected a non-negative integer' };
  }
  if (typeof value.method !== 'string') {
    return { ok: false, id, problem: 'request.method: expected a string' };
  }
  return { ok: true, value: { id, method: value.method, params: value.params } };
}

/** Classify one decoded line as a reply (client side). */
export function parseReply(value: unknown): AgentReply | null {
  if (!isObject(value) || typeof value.id !== 'number') {
    return null;
  }
  if ('result' in value) {
    return { id: value.id, result: value.result };
  }
  if ('event' in value) {
    return { id: value.id, event: value.event };
  }
  if (isObject(value.error) && typeof value.error.code === 'string' && typeof value.error.message === 'string') {
    const e = value.error;
    return {
      id: value.id,
      error: { code: e.code as string, message: e.message as string, hint: typeof e.hint === 'string' ? e.hint : '' },
    };
  }
  return null;
}
