/**
 * THE contract between the window and the engine. Electron main, the preload, the browser host and
 * the renderer all derive from this file; nobody re-types it by hand (STYLE.md item 3).
 *
 * Rules for everything here:
 * - Every method is async, takes at most one plain-JSON params object, and resolves with a `Result`
 *   (expected failures are values with a namespaced `code`, a `message` and a `hint`).
 * - Every type is plain data (no classes, Dates, Maps, functions, `undefined` in arrays): values cross
 *   a WebSocket and Electron's contextBridge. Times are epoch milliseconds; durations say their unit.
 * - The wire method name is the member name (`addMachine`); `apiMethods` below holds each method's
 *   params validator, `apiEvents` the event names.
 * - A machine is named by the address it was added with (`198.18.0.11`); a node by its nodelist name.
 */
import type { Check as PreflightCheck, CheckStatus } from '../preflight/types';
import type { QuorateError, Result } from '../result';
import type { Validator } from './validators';
import { array, boolean, integer, literal, none, object, optional, pattern, string, variant } from './validators';

// ---------------------------------------------------------------------------------------------
// Shared data

/** knet link number (`linknumber` / `ringX_addr`), 0..7. */
export type LinkNumberValue = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export type MachineAuth =
  /** Password login; the engine stores it in the OS keyring, never in a file. Also used for sudo. */
  | { readonly kind: 'password'; readonly password: string }
  /** A private key file on this computer (`~/.ssh/id_ed25519`); passphrase if it is encrypted. */
  | { readonly kind: 'key'; readonly keyPath: string; readonly passphrase?: string };

/**
 * Where a machine stands with Quorate:
 * `untrusted` — its host key was seen but not confirmed by the user (call `trustMachine`);
 * `trusted` — key pinned, login works, not bootstrapped; `bootstrapping`; `ready` — agent installed;
 * `failed` — the last attempt failed (`lastError` says why).
 */
export type MachineState = 'untrusted' | 'trusted' | 'bootstrapping' | 'ready' | 'failed';

export interface HostKey {
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `rsa-sha2-512`, … */
  readonly algorithm: string;
  /** OpenSSH style: `SHA256:` + unpadded base64 of the key's SHA-256, as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string;
}

export interface Machine {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly authKind: 'password' | 'key';
  /** For `key` auth: the key file path. Never the password. */
  readonly keyPath: string | null;
  /** The pinned host key once trusted; the offered one while `untrusted`. */
  readonly hostKey: HostKey | null;
  /**
   * The key the machine presented on the last connection attempt when it differs from the pinned
   * `hostKey` (the attempt was refused with `ssh.host-key-changed`); null otherwise. Kept while the
   * engine runs. Re-trust it only deliberately: `trustMachine` with `replaceChangedKey`.
   */
  readonly changedHostKey: HostKey | null;
  readonly state: MachineState;
  /** `hostname` as the machine reports it, once logged in. */
  readonly hostname: string | null;
  /** `PRETTY_NAME` from /etc/os-release, once logged in. */
  readonly os: string | null;
  /** The cluster this machine is a node (or the QDevice host) of, if any. */
  readonly cluster: string | null;
  readonly lastError: QuorateError | null;
}

/** Quorum arithmetic for one cluster configuration (votequorum's view with every node up). */
export interface QuorumSummary {
  readonly expectedVotes: number;
  readonly totalVotes: number;
  /** Votes needed to be quorate: ⌊expected/2⌋+1 (1 with two_node). */
  readonly quorum: number;
  /** Node failures the cluster survives with the QDevice (if any) voting. */
  readonly canLose: number;
  readonly nodes: number;
}

// ---------------------------------------------------------------------------------------------
// Machines

export interface AddMachineParams {
  readonly address: string;
  /** SSH port, default 22. */
  readonly port?: number;
  readonly user: string;
  readonly auth: MachineAuth;
}

export interface TrustMachineParams {
  readonly address: string;
  /** The fingerprint the user saw and confirmed; refused (`ssh.host-key-mismatch`) if the machine now offers another. */
  readonly fingerprint: string;
  /**
   * Only for a machine whose pinned key changed (reinstalled, keys regenerated): replace the pinned
   * key with `fingerprint`. `previousFingerprint` is the pinned key the user saw beside the new one;
   * refused (`ssh.host-key-changed`) if it is not the one pinned now, so a stale confirmation
   * cannot replace a key the user never saw. Without this, a changed key is always refused.
   */
  readonly replaceChangedKey?: { readonly previousFingerprint: string };
}

export interface MachineRef {
  readonly address: string;
}

// ---------------------------------------------------------------------------------------------
// Bootstrap

export interface BootstrapParams {
  readonly addresses: readonly string[];
}

export type BootstrapPhase = 'connect' | 'packages' | 'agent' | 'verify' | 'done' | 'failed';

/** Payload of `onDidBootstrapProgress`: one step forward (or one output line) on one machine. */
export interface BootstrapProgress {
  readonly address: string;
  readonly phase: BootstrapPhase;
  /** 0..100 for this machine. */
  readonly percent: number;
  /** One human-readable log line (command output or what is happening), if any. */
  readonly line: string | null;
  /** Set with phase `failed`. */
  readonly error: QuorateError | null;
  readonly at: number;
}

export interface BootstrapOutcome {
  readonly machines: readonly { readonly address: string; readonly ok: boolean; readonly error: QuorateError | null }[];
}

// ---------------------------------------------------------------------------------------------
// Preflight

/** A corosync link: its number and the IPv4 network (CIDR) each machine has an address in. */
export interface LinkNetwork {
  readonly linknumber: LinkNumberValue;
  /** `198.18.0.0/24`. */
  readonly network: string;
}

export interface ListNetworksParams {
  readonly addresses: readonly string[];
}

/** A network some of the machines have an address in: a candidate for a corosync link. */
export interface CandidateNetwork {
  readonly network: string;
  /** Machine address → its address in that network. Machines without one are absent. */
  readonly addresses: Readonly<Record<string, string>>;
}

export interface PreflightParams {
  readonly addresses: readonly string[];
  readonly links: readonly LinkNetwork[];
  /** `create` (first machine founds the cluster) or `join` an existing `cluster`. */
  readonly mode: 'create' | 'join';
  readonly cluster?: string;
}

// One line of the pre-flight report: the engine's own type, so the two can never drift apart.
export type { Check as PreflightCheck, CheckStatus } from '../preflight/types';
/** One direction of one pair on one link. */
export interface LinkPairLatency {
  readonly from: string;
  readonly to: string;
  readonly udpReachable: boolean;
  readonly rttAvgMs: number;
  readonly jitterMs: number;
  /** 0..100. */
  readonly lossPercent: number;
  readonly status: CheckStatus;
}

export interface LinkLatency {
  readonly linknumber: LinkNumberValue;
  readonly network: string;
  readonly pairs: readonly LinkPairLatency[];
}

export interface ClockOffset {
  readonly machine: string;
  /** Signed, against this computer's clock. */
  readonly offsetMs: number;
  readonly ntpSynchronized: boolean | null;
  readonly status: CheckStatus;
}

export interface MachineVersions {
  readonly machine: string;
  readonly hostname: string;
  readonly os: string | null;
  /** null: not installed. */
  readonly corosync: string | null;
  readonly qdevice: boolean;
  /** pve-manager version, null on plain Debian. */
  readonly pve: string | null;
}

export interface PreflightReport {
  /** No check failed (warnings allowed). */
  readonly ok: boolean;
  readonly checks: readonly PreflightCheck[];
  readonly latency: readonly LinkLatency[];
  readonly clocks: readonly ClockOffset[];
  readonly versions: readonly MachineVersions[];
  readonly measuredAt: number;
}

// ---------------------------------------------------------------------------------------------
// Operations (plan first, then run exactly the reviewed plan)

export type OperationKind =
  'cluster.create' | 'cluster.join' | 'cluster.remove' | 'qdevice.setup' | 'qdevice.remove' | 'expected';

export interface CreateClusterParams {
  /** corosync `cluster_name`: letters, digits and `-`, at most 15 characters (Proxmox's limit). */
  readonly name: string;
  /** The first node founds the cluster. `name` defaults to the machine's hostname; `votes` to 1. */
  readonly nodes: readonly { readonly address: string; readonly name?: string; readonly votes?: number }[];
  readonly links: readonly LinkNetwork[];
}

export interface JoinClusterParams {
  readonly cluster: string;
  readonly addresses: readonly string[];
}

export interface RemoveNodeParams {
  readonly cluster: string;
  /** Node name in the nodelist. */
  readonly node: string;
  /** Remove even though the node is still a member (it will be fenced out); otherwise it must be off. */
  readonly force: boolean;
}

export interface SetupQdeviceParams {
  readonly cluster: string;
  /** Address of the spare machine that will run corosync-qnetd (not a node of the cluster). */
  readonly host: string;
  readonly algorithm: 'ffsplit' | 'lms';
  /**
   * The user read that with an odd node count a QDevice can make things worse (a tie breaker on a
   * cluster that has no ties; with `ffsplit` the QDevice host becomes a single point whose loss
   * costs a vote) and wants it anyway. Ignored for even counts; refused as `ops.qdevice-odd-count` when needed and false.
   */
  readonly consentOddCount: boolean;
}

export interface ClusterRef {
  readonly cluster: string;
}

export interface SetExpectedParams {
  readonly cluster: string;
  readonly votes: number;
  /** The cluster name typed by the user: the engine refuses (`ops.confirmation-mismatch`) unless it matches. */
  readonly confirm: string;
}

export interface FileChange {
  readonly path: string;
  readonly action: 'create' | 'modify' | 'delete';
}

export interface PlanStep {
  /** Stable in the plan: `install-conf@node2`. */
  readonly id: string;
  readonly machine: string;
  readonly title: string;
}

export interface OperationPlan {
  /** Pass to `runPlan`. Valid until the engine restarts or the plan is run. */
  readonly id: string;
  readonly kind: OperationKind;
  readonly cluster: string;
  /** One sentence: what will happen. */
  readonly summary: string;
  readonly files: readonly { readonly machine: string; readonly changes: readonly FileChange[] }[];
  readonly steps: readonly PlanStep[];
  /** null when there is no cluster yet. */
  readonly before: QuorumSummary | null;
  readonly after: QuorumSummary;
  readonly warnings: readonly string[];
  /** Things the user must do by hand, in order (e.g. power off the node before removing it). */
  readonly instructions: readonly string[];
}

export interface RunPlanParams {
  readonly planId: string;
}

export type StepState = 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'rolled-back';

/** Payload of `onDidUpdateStep`. */
export interface StepUpdate {
  readonly planId: string;
  readonly stepId: string;
  /** 0-based position in the plan's steps. */
  readonly index: number;
  readonly total: number;
  readonly state: StepState;
  /** One output line, if this update carries one. */
  readonly line: string | null;
  readonly error: QuorateError | null;
  readonly at: number;
}

export interface RunOutcome {
  readonly planId: string;
  /** Every step done or skipped. When false the engine rolled back what it could; `error` says where it stopped. */
  readonly ok: boolean;
  readonly steps: readonly { readonly id: string; readonly state: StepState }[];
  readonly error: QuorateError | null;
}

// ---------------------------------------------------------------------------------------------
// Watch

export type HealthState = 'quorate' | 'degraded' | 'unknown' | 'inquorate';

export interface ClusterSummary {
  readonly name: string;
  readonly state: HealthState;
  readonly nodes: readonly string[];
  readonly hasQdevice: boolean;
}

export interface NodeStatus {
  readonly name: string;
  readonly nodeid: number;
  readonly votes: number;
  /** In the membership of the reporting partition. */
  readonly online: boolean;
  /** The machine (address as added) behind this node. */
  readonly machine: string | null;
}

export interface QdeviceStatus {
  readonly host: string;
  readonly algorithm: 'ffsplit' | 'lms';
  readonly votes: number;
  /**
   * corosync-quorumtool's Qdevice flags as printed, e.g. `A,V,NMW`:
   * A/NA alive/not alive, V/NV vote/no vote, MW/NMW master wins/not, NR not registered.
   */
  readonly flags: string;
}

export interface LinkHealth {
  readonly a: string;
  readonly b: string;
  readonly linknumber: LinkNumberValue;
  readonly state: 'up' | 'down' | 'unknown';
  /** Last measured round trip, null when unknown. */
  readonly rttMs: number | null;
}

export interface ClusterStatus {
  readonly name: string;
  readonly state: HealthState;
  /** null: no node answered. */
  readonly quorate: boolean | null;
  readonly expectedVotes: number;
  readonly totalVotes: number;
  readonly quorum: number;
  readonly canLose: number;
  readonly nodes: readonly NodeStatus[];
  readonly qdevice: QdeviceStatus | null;
  readonly links: readonly LinkHealth[];
  /** The node whose view this is. */
  readonly reporter: string | null;
  readonly updatedAt: number;
}

export type NoticeKind =
  'quorum-lost' | 'quorum-regained' | 'node-left' | 'node-joined' | 'qdevice-unreachable' | 'qdevice-reachable';

/** Payload of `onDidNotify`: what a native notification and the in-app banner show. */
export interface Notice {
  readonly kind: NoticeKind;
  readonly cluster: string;
  readonly at: number;
  readonly severity: 'critical' | 'warning' | 'info';
  readonly node?: string;
  readonly title: string;
  readonly body: string;
  /** Recovery steps in order; empty for good news. */
  readonly guidance: readonly string[];
}

/** Payload of `onDidAddTimelineEntry`, and what `listTimeline` returns. */
export interface TimelineEntry {
  readonly cluster: string;
  readonly at: number;
  readonly severity: 'critical' | 'warning' | 'info';
  readonly text: string;
}

export interface TimelineParams {
  readonly cluster: string;
  /** Newest first; default 100. */
  readonly limit?: number;
}

/** Payload of `onDidChangeQuorum`: the cluster's whole status, replacing the previous one. */
export interface QuorumChange {
  readonly cluster: string;
  readonly status: ClusterStatus;
}

// ---------------------------------------------------------------------------------------------
// The API

export interface QuorateApi {
  // Machines
  /** Every machine added to Quorate, in the order added. */
  listMachines(): Promise<Result<Machine[]>>;
  /**
   * Remembers a machine and fetches its host key; the result is `untrusted` with `hostKey` set,
   * to be confirmed with `trustMachine`. Adding a known address again replaces its user and auth
   * (the retry path after `ssh.auth-failed`). Errors: `ssh.unreachable`, `ssh.timeout`.
   */
  addMachine(params: AddMachineParams): Promise<Result<Machine>>;
  /**
   * Pins the confirmed host key and logs in. Errors: `ssh.host-key-mismatch` (offers another key
   * now), `ssh.host-key-changed` (differs from the pinned one and `replaceChangedKey` was not given
   * or names another pinned key; the machine's `changedHostKey` then holds the presented key),
   * `ssh.auth-failed`, `ssh.sudo-failed`.
   */
  trustMachine(params: TrustMachineParams): Promise<Result<Machine>>;
  /** Forgets a machine and its secret. Refused (`machines.in-cluster`) while it is a cluster node. */
  removeMachine(params: MachineRef): Promise<Result<null>>;

  // Bootstrap
  /**
   * Installs corosync packages and the node agent on trusted machines, a few at a time; progress
   * arrives as `onDidBootstrapProgress`. Resolves when every machine finished, one outcome each.
   */
  bootstrap(params: BootstrapParams): Promise<Result<BootstrapOutcome>>;

  // Preflight
  /** IPv4 networks the machines have addresses in, as candidates for corosync links. */
  listNetworks(params: ListNetworksParams): Promise<Result<CandidateNetwork[]>>;
  /** Measures and checks everything a create or join needs (takes a few seconds). */
  runPreflight(params: PreflightParams): Promise<Result<PreflightReport>>;

  // Operations
  planCreateCluster(params: CreateClusterParams): Promise<Result<OperationPlan>>;
  planJoinCluster(params: JoinClusterParams): Promise<Result<OperationPlan>>;
  /** Errors: `ops.node-has-guests`, `ops.node-online` (unless `force`), `ops.would-lose-quorum`. */
  planRemoveNode(params: RemoveNodeParams): Promise<Result<OperationPlan>>;
  /** Errors: `ops.qdevice-odd-count` without consent, `ops.qdevice-host-is-node`. */
  planSetupQdevice(params: SetupQdeviceParams): Promise<Result<OperationPlan>>;
  planRemoveQdevice(params: ClusterRef): Promise<Result<OperationPlan>>;
  /** Emergency only: `corosync-quorumtool -e` on a node of the quorate-less partition; until the next membership change. */
  planSetExpected(params: SetExpectedParams): Promise<Result<OperationPlan>>;
  /** Runs a plan returned by a `plan*` method; steps report through `onDidUpdateStep`. */
  runPlan(params: RunPlanParams): Promise<Result<RunOutcome>>;

  // Watch
  listClusters(): Promise<Result<ClusterSummary[]>>;
  /** The latest status (from the agents' quorum streams); errors: `clusters.unknown`. */
  clusterStatus(params: ClusterRef): Promise<Result<ClusterStatus>>;
  listTimeline(params: TimelineParams): Promise<Result<TimelineEntry[]>>;
  /** Notices still relevant (e.g. quorum lost and not regained), most severe first, for the banner after a reload. */
  listNotices(): Promise<Result<Notice[]>>;
}

/** Event name → payload. */
export interface QuorateEvents {
  /** A machine was added, changed state, or was removed (`removed: true`). */
  onDidChangeMachine: { readonly machine: Machine; readonly removed: boolean };
  onDidBootstrapProgress: BootstrapProgress;
  onDidUpdateStep: StepUpdate;
  onDidChangeQuorum: QuorumChange;
  onDidNotify: Notice;
  onDidAddTimelineEntry: TimelineEntry;
}

export type ApiMethodName = keyof QuorateApi;
export type ApiEventName = keyof QuorateEvents;
/** The params one method takes (`undefined` for methods without). */
export type ApiParams<M extends ApiMethodName> = Parameters<QuorateApi[M]> extends [infer P] ? P : undefined;
/** The value inside a method's successful `Result`. */
export type ApiValue<M extends ApiMethodName> = Awaited<ReturnType<QuorateApi[M]>> extends Result<infer T> ? T : never;

/** What the engine side implements: one function per method, params already validated. */
export type ApiHandlers = {
  readonly [M in ApiMethodName]: [ApiParams<M>] extends [undefined]
    ? (params?: undefined) => Promise<Result<ApiValue<M>>>
    : (params: ApiParams<M>) => Promise<Result<ApiValue<M>>>;
};

export interface OnOptions {
  /** Aborting it removes the listener. */
  readonly signal?: AbortSignal;
}

/** `window.quorate`, as the preload (Electron) or the browser-host client exposes it. */
export type QuorateWindowApi = QuorateApi & {
  /** Listens to one engine event; returns the function that stops listening. */
  on<E extends ApiEventName>(event: E, listener: (payload: QuorateEvents[E]) => void, options?: OnOptions): () => void;
};

// ---------------------------------------------------------------------------------------------
// Runtime tables

const address = pattern(/^[A-Za-z0-9][A-Za-z0-9.:-]*$/, 'a host name or IP address', 253);
const addresses = array(address, { min: 1, max: 32, unique: true });
const clusterName = pattern(
  /^[A-Za-z][A-Za-z0-9-]{0,14}$/,
  'a cluster name: a letter, then letters, digits or "-", at most 15 characters',
);
const nodeName = pattern(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'a node name: letters, digits, "." or "-"', 63);
const cidr = pattern(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'an IPv4 network like 198.18.0.0/24', 18);
const linknumber = integer(0, 7) as Validator<LinkNumberValue>;
const links = array(object({ linknumber, network: cidr }), { min: 1, max: 8 });
const fingerprint = pattern(
  /^SHA256:[A-Za-z0-9+/]{43}$/,
  'an OpenSSH SHA256 fingerprint (SHA256: and 43 base64 characters)',
  50,
);

/** Method name → params validator. The RPC server refuses any method not in this table. */
export const apiMethods: { readonly [M in ApiMethodName]: Validator<ApiParams<M>> } = {
  listMachines: none(),
  addMachine: object({
    address,
    port: optional(integer(1, 65535)),
    user: pattern(/^[a-z_][a-z0-9_.-]*$/i, 'a user name', 32),
    auth: variant({
      password: object({ kind: literal('password'), password: string({ max: 1024 }) }),
      key: object({
        kind: literal('key'),
        keyPath: string({ max: 4096 }),
        passphrase: optional(string({ min: 0, max: 1024 })),
      }),
    }),
  }),
  trustMachine: object({
    address,
    fingerprint,
    replaceChangedKey: optional(object({ previousFingerprint: fingerprint })),
  }),
  removeMachine: object({ address }),
  bootstrap: object({ addresses }),
  listNetworks: object({ addresses }),
  runPreflight: object({ addresses, links, mode: literal('create', 'join'), cluster: optional(clusterName) }),
  planCreateCluster: object({
    name: clusterName,
    nodes: array(object({ address, name: optional(nodeName), votes: optional(integer(1, 255)) }), { min: 1, max: 32 }),
    links,
  }),
  planJoinCluster: object({ cluster: clusterName, addresses }),
  planRemoveNode: object({ cluster: clusterName, node: nodeName, force: boolean() }),
  planSetupQdevice: object({
    cluster: clusterName,
    host: address,
    algorithm: literal('ffsplit', 'lms'),
    consentOddCount: boolean(),
  }),
  planRemoveQdevice: object({ cluster: clusterName }),
  planSetExpected: object({ cluster: clusterName, votes: integer(1, 1024), confirm: string({ max: 64 }) }),
  runPlan: object({ planId: string({ max: 128 }) }),
  listClusters: none(),
  clusterStatus: object({ cluster: clusterName }),
  listTimeline: object({ cluster: clusterName, limit: optional(integer(1, 1000)) }),
  listNotices: none(),
};

/** Every event the engine may push; transports forward these and drop anything else. */
export const apiEvents = [
  'onDidChangeMachine',
  'onDidBootstrapProgress',
  'onDidUpdateStep',
  'onDidChangeQuorum',
  'onDidNotify',
  'onDidAddTimelineEntry',
] as const satisfies readonly ApiEventName[];

// Compile-time check that `apiEvents` lists every event of `QuorateEvents`.
type MissingEvents = Exclude<ApiEventName, (typeof apiEvents)[number]>;
const _allEventsListed: MissingEvents extends never ? true : MissingEvents = true;
void _allEventsListed;

/** The method names, in the table's order. */
export const apiMethodNames = Object.keys(apiMethods) as ApiMethodName[];

/**
 * Builds `window.quorate` from a `call` and an `on` (an RPC client, or ipcRenderer behind the
 * preload): one function per method in `apiMethods`, so the object can never drift from the contract.
 */
export function createQuorateApi(
  call: (method: string, params: unknown) => Promise<Result<unknown>>,
  on: (event: string, listener: (payload: unknown) => void, options?: OnOptions) => () => void,
): QuorateWindowApi {
  const api: Record<string, unknown> = {};
  for (const method of apiMethodNames) {
    api[method] = (params?: unknown) => call(method, params);
  }
  api.on = (event: string, listener: (payload: unknown) => void, options?: OnOptions) => {
    if (!(apiEvents as readonly string[]).includes(event)) {
      throw new TypeError(`Unknown Quorate event "${event}"`);
    }
    return on(event, listener, options);
  };
  return api as unknown as QuorateWindowApi;
}
