/**
 * Quorate's app state as plain data: the machines the user added (with their pinned host keys) and
 * nothing else (clusters are engine/ops' registry). Pure: parsing, validation, migration and edits; `state.fs.ts` does the I/O.
 * Secrets are never part of it — they live in the OS keyring (`secrets.keyring.ts`).
 */
import { err, ok } from '../result';
import type { Result } from '../result';

/**
 * Bumped when the shape changes incompatibly; `parseState` migrates older files forward.
 * 2: each keyring entry has one meaning (`secretAccount`, `passphraseAccount`); a key machine says
 * whether its key's passphrase is stored (`keyPassphrase`). Schema 1's window kept a key's passphrase
 * under the password's account; such machines are marked `v1KeySecret` until first contact moves it.
 */
export const STATE_SCHEMA_VERSION = 2;

export type MachineAuthKind = 'password' | 'key' | 'agent';

export interface MachineRecord {
  /** As the user typed it: an IP address or a DNS name. */
  readonly address: string;
  readonly port: number;
  /** SSH login user: root, or a sudo user. */
  readonly user: string;
  readonly auth: MachineAuthKind;
  /** Private key file for `auth: 'key'`. */
  readonly keyPath?: string;
  /** `auth: 'key'`: the key's passphrase is in the keyring (`passphraseAccount`). Absent: the key has none. */
  readonly keyPassphrase?: boolean;
  /**
   * Written by schema 1 for a key machine: the `secretAccount` entry may hold the key's passphrase
   * (the window put it there). The first contact moves it to `passphraseAccount` and drops the mark.
   */
  readonly v1KeySecret?: boolean;
  /** The host key fingerprint (`SHA256:…`) seen when the machine was added; pinned once `trusted`. */
  readonly fingerprint: string;
  /** The user confirmed the fingerprint; only trusted machines are ever logged in to. */
  readonly trusted: boolean;
  /** ISO 8601. */
  readonly addedAt: string;
  /** Hostname, once known (from the agent's facts). */
  readonly name?: string;
  /** What the installed agent reported, cached for the UI; refreshed on every contact. */
  readonly agent?: { readonly version: string; readonly facts?: unknown; readonly updatedAt: string };
}

export interface QuorateState {
  readonly schemaVersion: number;
  readonly machines: readonly MachineRecord[];
}

/** The state before any machine was added. */
export function emptyState(): QuorateState {
  return { schemaVersion: STATE_SCHEMA_VERSION, machines: [] };
}

/** A machine's key in the state and in cluster member lists: `address:port`. */
export function machineId(machine: { readonly address: string; readonly port: number }): string {
  return `${machine.address}:${machine.port}`;
}

/**
 * The keyring account of the login user's password on a machine: `user@address:port`. It holds that
 * and only that — the SSH password for `auth: 'password'`, and what `sudo` asks for (its user's own
 * password) for a non-root user with any auth. A key's passphrase is never stored here.
 */
export function secretAccount(machine: {
  readonly user: string;
  readonly address: string;
  readonly port: number;
}): string {
  return `${machine.user}@${machine.address}:${machine.port}`;
}

/** The keyring account of a key machine's key passphrase: `user@address:port key-passphrase`. */
export function passphraseAccount(machine: {
  readonly user: string;
  readonly address: string;
  readonly port: number;
}): string {
  return `${secretAccount(machine)} key-passphrase`;
}

/** Parses and validates a state file's text; `file` names it in messages. Unknown fields are kept. */
export function parseState(text: string, file: string): Result<QuorateState> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return err(
      'store.corrupt',
      `${file} is not valid JSON`,
      `restore it from a backup, or move it away to start with no machines`,
      e,
    );
  }
  if (!isObject(raw)) {
    return err(
      'store.corrupt',
      `${file}: expected an object`,
      'restore it from a backup, or move it away to start again',
    );
  }
  const version = raw.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return err(
      'store.corrupt',
      `${file}: schemaVersion: expected a positive integer, got ${JSON.stringify(version)}`,
      'restore it from a backup, or move it away to start again',
    );
  }
  if (version > STATE_SCHEMA_VERSION) {
    return err(
      'store.schema-newer',
      `${file} was written by a newer Quorate (schema ${version}, this one reads up to ${STATE_SCHEMA_VERSION})`,
      'update Quorate, or point QUORATE_HOME at another folder',
    );
  }
  const machines = raw.machines ?? [];
  if (!Array.isArray(machines)) {
    return err('store.corrupt', `${file}: machines: expected an array`, 'restore it from a backup');
  }
  for (const [i, m] of machines.entries()) {
    const problem = machineProblem(m);
    if (problem) {
      return err(
        'store.corrupt',
        `${file}: machines[${i}].${problem}`,
        'fix or remove that entry (quorate hosts remove), or restore a backup',
      );
    }
  }
  const migrated = version === 1 ? (machines as MachineRecord[]).map(migrateMachineV1) : machines;
  return ok({ ...raw, schemaVersion: STATE_SCHEMA_VERSION, machines: migrated } as QuorateState);
}

/**
 * Schema 1 → 2. Only the window wrote a secret for a key machine, and it meant the passphrase; the
 * CLI never stored one. Which key machines have one is known only to the keyring, so each is marked
 * and its entry moved on first contact (`v1KeySecret`). Password machines mean what they meant.
 */
function migrateMachineV1(m: MachineRecord): MachineRecord {
  return m.auth === 'key' && m.v1KeySecret === undefined && m.keyPassphrase === undefined
    ? { ...m, v1KeySecret: true }
    : m;
}

function machineProblem(m: unknown): string | null {
  if (!isObject(m)) {
    return 'expected an object';
  }
  if (typeof m.address !== 'string' || m.address === '') {
    return 'address: expected a non-empty string';
  }
  if (typeof m.port !== 'number' || !Number.isInteger(m.port) || m.port < 1 || m.port > 65535) {
    return `port: expected 1..65535, got ${JSON.stringify(m.port)}`;
  }
  if (typeof m.user !== 'string' || m.user === '') {
    return 'user: expected a non-empty string';
  }
  if (m.auth !== 'password' && m.auth !== 'key' && m.auth !== 'agent') {
    return `auth: expected "password", "key" or "agent", got ${JSON.stringify(m.auth)}`;
  }
  if (typeof m.fingerprint !== 'string') {
    return 'fingerprint: expected a string';
  }
  if (typeof m.trusted !== 'boolean') {
    return 'trusted: expected true or false';
  }
  return null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The state with `machine` added at the end, or replacing the machine with the same `machineId` in
 * its place: the machines list keeps the order they were added in (bootstrap, trust and re-add
 * update a machine; they must not move it to the bottom of the list).
 */
export function upsertMachine(state: QuorateState, machine: MachineRecord): QuorateState {
  const id = machineId(machine);
  const at = state.machines.findIndex((m) => machineId(m) === id);
  if (at < 0) {
    return { ...state, machines: [...state.machines, machine] };
  }
  const others = state.machines.filter((m, i) => i === at || machineId(m) !== id);
  return { ...state, machines: others.map((m, i) => (i === at ? machine : m)) };
}

/** Machines at `address` (and `port` when given). Which clusters use a machine is engine/ops' registry. */
export function findMachines(state: QuorateState, address: string, port?: number): MachineRecord[] {
  if (port === undefined) {
    const spelled = splitMachineName(address);
    if (spelled.port !== undefined) {
      return findMachines(state, spelled.address, spelled.port);
    }
  }
  return state.machines.filter((m) => m.address === address && (port === undefined || m.port === port));
}

/**
 * A machine as the user names it: `198.18.0.11`, `pve2.lan`, or with its SSH port `198.18.0.11:2222`
 * (how cluster records and `hosts` output spell a machine on a port other than 22). IPv6 literals
 * (two colons or more) are never split.
 */
export function splitMachineName(name: string): { address: string; port?: number } {
  const m = /^([^:]+):(\d{1,5})$/.exec(name);
  if (!m) {
    return { address: name };
  }
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { address: m[1]!, port } : { address: name };
}

/** The state without the given machines. */
export function removeMachines(state: QuorateState, machines: readonly MachineRecord[]): QuorateState {
  const ids = new Set(machines.map(machineId));
  return { ...state, machines: state.machines.filter((m) => !ids.has(machineId(m))) };
}
