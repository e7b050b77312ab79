/** Types and validators every topic of the contract shares. */
import type { QuorateError } from '../../result';
import type { Validator } from '../validators';
import { array, integer, object, pattern } from '../validators';

/** knet link number (`linknumber` / `ringX_addr`), 0..7. */
export type LinkNumberValue = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export type MachineAuth =
  /** Password login; the engine stores it in the OS keyring, never in a file. Also what sudo is given. */
  | { readonly kind: 'password'; readonly password: string }
  /**
   * A private key file on this computer (`~/.ssh/id_ed25519`); passphrase if it is encrypted (kept in
   * the keyring). A key without one never needs the keyring. A sudo user needs NOPASSWD sudo here.
   */
  | { readonly kind: 'key'; readonly keyPath: string; readonly passphrase?: string }
  /** The keys of the running ssh-agent (`$SSH_AUTH_SOCK`); nothing is stored. */
  | { readonly kind: 'agent' };

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
  readonly authKind: 'password' | 'key' | 'agent';
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
  /** The user confirmed the host key: Quorate logs in to this machine (whatever `state` says now). */
  readonly trusted: boolean;
  /** When it was first added, ISO 8601. */
  readonly addedAt: string;
  /** `hostname` as the machine reports it, once logged in. */
  readonly hostname: string | null;
  /** `PRETTY_NAME` from /etc/os-release, once logged in. */
  readonly os: string | null;
  /** The cluster this machine is a node (or the QDevice host) of, if any. */
  readonly cluster: string | null;
  readonly lastError: QuorateError | null;
}

/** Quorum arithmetic for one cluster configuration (votequorum's view with every node up): engine/model's. */
export type { QuorumSummary } from '../../model';

export interface ClusterRef {
  readonly cluster: string;
}

export const address = pattern(/^[A-Za-z0-9][A-Za-z0-9.:-]*$/, 'a host name or IP address', 253);
export const addresses = array(address, { min: 1, max: 32, unique: true });
// Adopted clusters keep the totem.cluster_name they run with (pcs allows "ha_cluster"): the names
// engine/corosync/names.ts calls safe. New clusters get the stricter Proxmox rule in engine/ops/plans.ts.
export const clusterName = pattern(
  /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/,
  'a cluster name: up to 64 letters, digits, "_", "." or "-"',
  64,
);
/** The name of a cluster Quorate is to create (pvecm's rule, also safe for corosync and qnetd). */
export const newClusterName = pattern(
  /^[A-Za-z][A-Za-z0-9-]{0,14}$/,
  'a cluster name: a letter, then letters, digits or "-", at most 15 characters',
);
export const nodeName = pattern(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'a node name: letters, digits, "." or "-"', 63);
export const cidr = pattern(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'an IPv4 network like 198.18.0.0/24', 18);
export const linknumber = integer(0, 7) as Validator<LinkNumberValue>;
export const links = array(object({ linknumber, network: cidr }), { min: 1, max: 8 });
export const fingerprint = pattern(
  /^SHA256:[A-Za-z0-9+/]{43}$/,
  'an OpenSSH SHA256 fingerprint (SHA256: and 43 base64 characters)',
  50,
);
