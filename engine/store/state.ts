/**
 * Quorate's app state as plain data: the machines the user added (with their pinned host keys) and
 * nothing else (clusters are engine/ops' registry). Pure: parsing, validation, migration and edits; `state.fs.ts` does the I/O.
 * Secrets are never part of it — they live in the OS keyring (`secrets.keyring.ts`).
 */
import { err, ok } from '../result';
import type { Result } from '../result';

/** Bumped when the shape changes incompatibly; `parseState` migrates older files forward. */
export const STATE_SCHEMA_VERSION = 1;

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

/** The keyring account a machine's secret is stored under: `user@address:port`. */
export function secretAccount(machine: {
  readonly user: string;
  readonly address: string;
  readonly port: number;
}): string {
  return `${machine.user}@${machine.address}:${machine.port}`;
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
  return ok({ ...raw, schemaVersion: STATE_SCHEMA_VERSION, machines } as QuorateState);
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

/** The state with `machine` added, replacing any machine with the same `machineId`. */
export function upsertMachine(state: QuorateState, machine: MachineRecord): QuorateState {
  const id = machineId(machine);
  const others = state.machines.filter((m) => machineId(m) !== id);
  return { ...state, machines: [...others, machine] };
}

/** Machines at `address` (and `port` when given). Which clusters use a machine is engine/ops' registry. */
export function findMachines(state: QuorateState, address: string, port?: number): MachineRecord[] {
  return state.machines.filter((m) => m.address === address && (port === undefined || m.port === port));
}

/** The state without the given machines. */
export function removeMachines(state: QuorateState, machines: readonly MachineRecord[]): QuorateState {
  const ids = new Set(machines.map(machineId));
  return { ...state, machines: state.machines.filter((m) => !ids.has(machineId(m))) };
}
