/**
 * On-disk record of every lab: /run/quorate-lab/<id>/state.json. The directory is created with
 * mkdir (atomic), so concurrent labs (several engineers, several test files) never share an id; the
 * record holds every PID the lab started, with its start time, so tear-down after a crash kills
 * exactly those and nothing else.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ProcRef } from './proc';

export const LAB_RUN_DIR = '/run/quorate-lab';
/** Third octet of 198.18.<id>.0/24; 0 is left to hand-made labs (lab-notes). */
export const LAB_ID_MIN = 1;
export const LAB_ID_MAX = 250;

export interface HostState {
  readonly index: number;
  readonly name: string;
  readonly address: string;
  readonly rootPassword: string;
  readonly sudoUser?: { user: string; password: string };
  /** `unshare` (root PID namespace); its child is the anchor. */
  unshare?: ProcRef;
  /** PID 1 of the host's PID namespace: holds its mount/UTS/PID namespaces. */
  anchor?: ProcRef;
  sshd?: ProcRef;
  /** libfaketime offset applied to sshd sessions, seconds. */
  skewSeconds?: number;
}

export interface DaemonState extends ProcRef {
  readonly host: number;
  readonly argv: readonly string[];
  /** The nsenter process (root PID namespace) that waits for the daemon. */
  readonly nsenter?: ProcRef;
}

export interface LabState {
  readonly id: number;
  /** Process that owns the lab; when it is gone the lab is stale. Absent for `npm run lab -- up` labs. */
  readonly owner?: ProcRef;
  readonly createdAt: string;
  /** Per-host directories (upper layers, bind-mount sources). */
  readonly dir: string;
  hosts: HostState[];
  daemons: DaemonState[];
}

export function stateDir(id: number): string {
  return `${LAB_RUN_DIR}/${id}`;
}

/** Claim the lowest free id by mkdir; `taken(id)` vetoes ids whose namespaces linger. */
export function claimLabId(taken: (id: number) => boolean): number {
  mkdirSync(LAB_RUN_DIR, { recursive: true, mode: 0o700 });
  for (let id = LAB_ID_MIN; id <= LAB_ID_MAX; id++) {
    if (taken(id)) {
      continue;
    }
    try {
      mkdirSync(stateDir(id), { mode: 0o700 });
      return id;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        continue;
      }
      throw e;
    }
  }
  throw new Error(
    `lab: no free lab id in ${LAB_ID_MIN}..${LAB_ID_MAX} (see ${LAB_RUN_DIR}; \`npm run lab -- down --all\`)`,
  );
}

export function writeState(state: LabState): void {
  const path = `${stateDir(state.id)}/state.json`;
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

export function readState(id: number): LabState | undefined {
  try {
    return JSON.parse(readFileSync(`${stateDir(id)}/state.json`, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** Ids with a directory under /run/quorate-lab (with or without a readable state.json). */
export function listLabIds(): number[] {
  try {
    return readdirSync(LAB_RUN_DIR)
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}
