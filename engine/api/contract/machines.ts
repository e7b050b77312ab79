/** The contract: machines and their bootstrap. */
import type { InstallAction } from '../../bootstrap/scripts';
import type { QuorateError, Result } from '../../result';
import type { MethodTable } from './table';
import type { Machine, MachineAuth } from './shared';
import { address, addresses, fingerprint } from './shared';
import { boolean, integer, literal, none, object, optional, pattern, string, variant } from '../validators';

// Machines

export interface AddMachineParams {
  readonly address: string;
  /** SSH port, default 22. */
  readonly port?: number;
  readonly user: string;
  readonly auth: MachineAuth;
  /**
   * The fingerprint the user already checked: confirm it at once (the key must be the one presented,
   * else `ssh.host-key-mismatch`), log in, and record the machine trusted — or record nothing.
   */
  readonly trust?: string;
}

export interface TrustMachineParams {
  readonly address: string;
  /** Which machine on `address`, when it is known on several SSH ports. */
  readonly port?: number;
  /** New credentials to log in with (kept once the login works); default the stored ones. */
  readonly auth?: MachineAuth;
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
  /** Which machine on `address`, when it is known on several SSH ports. */
  readonly port?: number;
}

export interface RemoveMachineParams extends MachineRef {
  /** Forget it even while it is a cluster node (its corosync keeps running). */
  readonly force?: boolean;
}

// Bootstrap

export interface BootstrapParams {
  readonly addresses: readonly string[];
  /** Machines installed at once (default 4). */
  readonly concurrency?: number;
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

/** What the installer did on one machine. */
export interface AgentInstallResult {
  readonly action: InstallAction;
  readonly version: string;
  readonly agentPid: number | null;
  readonly message: string;
  readonly durationMs: number;
}

export interface BootstrapOutcome {
  readonly machines: readonly {
    readonly address: string;
    readonly ok: boolean;
    readonly error: QuorateError | null;
    /** Set when `ok` (absent from engines before it existed). */
    readonly result?: AgentInstallResult | null;
  }[];
}

export interface MachinesApi {
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
  /** Forgets a machine and its secrets. Refused (`machines.in-cluster`) while it is a cluster node, unless `force`. */
  removeMachine(params: RemoveMachineParams): Promise<Result<null>>;
  /**
   * Keeps secrets (passwords, key passphrases) in memory for the rest of this run instead of the OS
   * keyring: the way forward after `store.keyring-unavailable` on a desktop without a Secret Service.
   * They are gone when Quorate quits.
   */
  rememberSecretsForSession(): Promise<Result<null>>;

  /**
   * Installs corosync packages and the node agent on trusted machines, a few at a time; progress
   * arrives as `onDidBootstrapProgress`. Resolves when every machine finished, one outcome each.
   */
  bootstrap(params: BootstrapParams): Promise<Result<BootstrapOutcome>>;
}

export interface MachinesEvents {
  /** A machine was added, changed state, or was removed (`removed: true`). */
  onDidChangeMachine: { readonly machine: Machine; readonly removed: boolean };
  onDidBootstrapProgress: BootstrapProgress;
}

export const machinesEvents = ['onDidChangeMachine', 'onDidBootstrapProgress'] as const;

const machineAuth = variant({
  password: object({ kind: literal('password'), password: string({ max: 1024 }) }),
  key: object({
    kind: literal('key'),
    keyPath: string({ max: 4096 }),
    passphrase: optional(string({ min: 0, max: 1024 })),
  }),
  agent: object({ kind: literal('agent') }),
});

export const machinesMethods: MethodTable<MachinesApi> = {
  listMachines: none(),
  addMachine: object({
    address,
    port: optional(integer(1, 65535)),
    user: pattern(/^[a-z_][a-z0-9_.-]*$/i, 'a user name', 32),
    auth: machineAuth,
    trust: optional(fingerprint),
  }),
  trustMachine: object({
    address,
    port: optional(integer(1, 65535)),
    fingerprint,
    replaceChangedKey: optional(object({ previousFingerprint: fingerprint })),
    auth: optional(machineAuth),
  }),
  removeMachine: object({ address, port: optional(integer(1, 65535)), force: optional(boolean()) }),
  rememberSecretsForSession: none(),
  bootstrap: object({ addresses, concurrency: optional(integer(1, 32)) }),
};
