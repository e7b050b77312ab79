/**
 * `ha-manager status` (pve-ha-manager's CLI over PVE::API2::HA::Status) into the engine-neutral
 * `HaStatus`, plus the plain-words meaning of every ha-manager service state. Pure.
 *
 * The lines, as that API composes them (one `type status` per line):
 *   quorum OK                                  | quorum No quorum on node 'pve2'!
 *   master pve1 (active, Tue Dec  1 12:00:00 2026)   (or `old timestamp - dead?`, `idle`)
 *   lrm pve1 (active, Tue Dec  1 …)            | lrm pve2 (idle, …) | lrm pve3 (maintenance mode, …)
 *   service vm:100 (pve1, started)
 * Newer releases add a fencing line (`fencing …`); its text is kept as it is, since its wording
 * changed between releases, and an `armed`/`disarmed` word in it is read when present.
 */
import { err, ok, type Result } from '../result';
import type { HaNode, HaResource, HaResourceState, HaStatus } from './types';

/** ha-manager's own service states (PVE::HA::Manager), as `ha-manager status` prints them. */
export const PVE_HA_STATES = [
  'started',
  'stopped',
  'request_stop',
  'request_start',
  'request_start_balance',
  'migrate',
  'relocate',
  'error',
  'fence',
  'recovery',
  'freeze',
  'disabled',
  'ignored',
  'queued',
] as const;
export type PveHaState = (typeof PVE_HA_STATES)[number];

/** What each state means and what to do, in the words the dashboard shows. */
export const PVE_HA_STATE_WORDS: Readonly<Record<PveHaState, string>> = {
  started: 'Running on its node; the HA manager restarts it there if it fails, or moves it if the node is lost.',
  stopped: 'Stopped on purpose (requested state stopped); HA keeps it stopped. Set it to started to run it.',
  request_stop: 'Being stopped because its requested state changed to stopped; wait a few seconds.',
  request_start: 'About to be started by the HA manager; wait a few seconds.',
  request_start_balance: 'About to be started on the least loaded node; wait a few seconds.',
  migrate: 'Being live-migrated to another node; wait until it is started there.',
  relocate: 'Being moved offline (stop, move, start) to another node; wait until it is started there.',
  error:
    'A start, stop or migration failed more often than allowed; HA no longer touches it. Fix the cause (see the task log), then disable it and set it to started again.',
  fence:
    'Its node was lost; the HA manager waits until that node is fenced (its watchdog reset it) before recovering the guest elsewhere. Nothing to do unless it stays here: then check the node.',
  recovery:
    'Its node was fenced; the HA manager is starting it on another node. If no node can take it, it stays here: free memory or add a node to its group.',
  freeze:
    'Its node is shutting down or rebooting, or its HA service restarts; HA does not move it meanwhile. It thaws when the node is back.',
  disabled: 'Disabled: stopped and left alone by HA (no recovery). Set it to started to manage it again.',
  ignored: 'Ignored: HA does not touch it at all (for manual work). Set it to started when done.',
  queued: 'Just added; the HA manager picks it up on its next round (about 10 seconds).',
};

export interface PveLrm {
  readonly node: string;
  /** `active`, `idle`, `maintenance mode`, `old timestamp - dead?`, … as printed. */
  readonly mode: string;
}

export interface PveHaService {
  readonly sid: string;
  readonly node: string;
  readonly state: string;
}

export interface PveHaStatusDetail {
  readonly quorate: boolean | null;
  readonly master: string | null;
  /** The master line's state word(s): `active`, `idle`, `old timestamp - dead?`. */
  readonly masterState: string | null;
  readonly lrms: readonly PveLrm[];
  readonly services: readonly PveHaService[];
  /** The fencing line's text, when the release prints one. */
  readonly fencing: string | null;
}

const PAREN = /^(\S+) \((.*)\)$/;

export function parseHaManagerStatus(text: string): Result<PveHaStatusDetail> {
  let quorate: boolean | null = null;
  let master: string | null = null;
  let masterState: string | null = null;
  let fencing: string | null = null;
  const lrms: PveLrm[] = [];
  const services: PveHaService[] = [];
  let seen = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') {
      continue;
    }
    const sp = line.indexOf(' ');
    const type = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? '' : line.slice(sp + 1).trim();
    if (type === 'quorum') {
      quorate = rest === 'OK';
      seen++;
    } else if (type === 'fencing') {
      fencing = rest;
      seen++;
    } else if (type === 'master' || type === 'lrm' || type === 'service') {
      const m = PAREN.exec(rest);
      if (!m) {
        return err(
          'ha.pve-parse',
          `Cannot read this ha-manager status line: ${line}`,
          'Run ha-manager status on the node and compare.',
        );
      }
      // "(active, Tue Dec  1 …)" for master/lrm; "(node, state)" for a service.
      const name = m[1] ?? '';
      const parts = (m[2] ?? '').split(', ');
      const first = parts[0] ?? '';
      if (type === 'master') {
        master = name;
        masterState = first;
      } else if (type === 'lrm') {
        lrms.push({ node: name, mode: first });
      } else {
        services.push({ sid: name, node: first, state: parts.slice(1).join(', ') });
      }
      seen++;
    }
  }
  if (seen === 0) {
    return err(
      'ha.pve-parse',
      'ha-manager status printed nothing Quorate can read.',
      'Check that pve-ha-manager is installed and running.',
    );
  }
  return ok({ quorate, master, masterState, lrms, services, fencing });
}

/** ha-manager's state → the engine-neutral word (types.ts). */
export function neutralState(state: string): HaResourceState {
  switch (state) {
    case 'started':
      return 'started';
    case 'request_start':
    case 'request_start_balance':
    case 'queued':
    case 'recovery':
    case 'migrate':
    case 'relocate':
      return 'starting';
    case 'request_stop':
      return 'stopping';
    case 'stopped':
    case 'disabled':
      return 'stopped';
    case 'error':
      return 'failed';
    case 'fence':
    case 'freeze':
      return 'blocked';
    case 'ignored':
      return 'unmanaged';
    default:
      return 'blocked';
  }
}

/** Plain words for a state; unknown states (a newer release) say so rather than guess. */
export function explainPveHaState(state: string): string {
  return (
    (PVE_HA_STATE_WORDS as Record<string, string>)[state] ??
    `"${state}" is a state this Quorate does not know; see ha-manager's documentation.`
  );
}

/** `vm:100` / `ct:200` / a bare `100` (ha-manager takes it as vm:100). */
export function guestOfSid(sid: string): { kind: 'vm' | 'ct'; id: number } | null {
  const m = /^(?:(vm|ct):)?(\d+)$/.exec(sid);
  return m ? { kind: m[1] === 'ct' ? 'ct' : 'vm', id: Number(m[2]) } : null;
}

export function toHaStatus(d: PveHaStatusDetail): HaStatus {
  const nodes: HaNode[] = d.lrms.map((l) => ({
    name: l.node,
    online: !l.mode.startsWith('old timestamp'),
    standby: false,
    maintenance: l.mode.startsWith('maintenance'),
    unclean: d.services.some((s) => s.node === l.node && s.state === 'fence'),
    isDc: l.node === d.master,
  }));
  const resources: HaResource[] = d.services.map((s) => ({
    id: s.sid,
    agent: s.sid.startsWith('ct:') ? 'pve:ct' : 'pve:vm',
    state: neutralState(s.state),
    node: s.node || null,
    group: null,
    engineState: s.state,
  }));
  const fencing =
    d.fencing === null ? null : /\bdisarmed\b/.test(d.fencing) ? false : /\barmed\b/.test(d.fencing) ? true : null;
  return { engine: 'pve-ha', dc: d.master, quorate: d.quorate, fencing, nodes, resources, failures: [] };
}
