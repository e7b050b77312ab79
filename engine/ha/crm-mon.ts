/**
 * `crm_mon --output-as=xml` (Pacemaker 2.1, api-version 2.x) → `HaStatus`. Pure; the samples under
 * test/engine/ha/samples/ were captured from real Pacemaker 2.1.5 in the lab.
 */
import type { Result } from '../result';
import { err, ok } from '../result';
import type { HaFailure, HaNode, HaResource, HaResourceState, HaStatus } from './types';
import type { XmlElement } from './xml';
import { child, childrenNamed, parseXml } from './xml';

const yes = (v: string | undefined): boolean => v === 'true';

/** `2026-12-01 11:17:22Z` or `Tue Dec  1 11:17:22 2026` → epoch ms (UTC for the first), null when unreadable. */
export function parseCrmTime(v: string | undefined): number | null {
  if (!v) {
    return null;
  }
  const iso = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})Z$/.exec(v);
  const t = iso ? Date.parse(`${iso[1]}T${iso[2]}Z`) : Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

function resourceState(r: XmlElement, failedIds: ReadonlySet<string>): HaResourceState {
  const a = r.attrs;
  if (yes(a.failed)) {
    return 'failed';
  }
  if (yes(a.blocked)) {
    return 'blocked';
  }
  if (a.managed === 'false') {
    return 'unmanaged';
  }
  const role = a.role ?? '';
  if (role === 'Starting' || role === 'Migrating') {
    return 'starting';
  }
  if (role === 'Stopping') {
    return 'stopping';
  }
  if (yes(a.active) && role !== 'Stopped') {
    return 'started';
  }
  // Stopped with a failed action on record (e.g. a start that failed everywhere) is a failure to show.
  return failedIds.has(a.id ?? '') && a.target_role !== 'Stopped' && a.target_role !== 'stopped' ? 'failed' : 'stopped';
}

function resourcesOf(el: XmlElement | undefined, group: string | null, failedIds: ReadonlySet<string>): HaResource[] {
  const out: HaResource[] = [];
  for (const c of el?.children ?? []) {
    if (c.name === 'resource') {
      const node = childrenNamed(c, 'node')[0]?.attrs.name ?? null;
      const state = resourceState(c, failedIds);
      out.push({
        id: c.attrs.id ?? '',
        agent: c.attrs.resource_agent ?? '',
        state,
        node: state === 'started' || state === 'stopping' || state === 'starting' ? node : null,
        group,
      });
    } else if (c.name === 'group' || c.name === 'clone' || c.name === 'bundle') {
      out.push(...resourcesOf(c, c.name === 'group' ? (c.attrs.id ?? null) : group, failedIds));
    }
  }
  return out;
}

/** Read crm_mon's XML. `crm_mon` also prints this document when it fails (status code ≠ 0): that is an error. */
export function parseCrmMon(xml: string): Result<HaStatus> {
  const doc = parseXml(xml);
  if (!doc.ok) {
    return doc;
  }
  const root = doc.value;
  if (root.name !== 'pacemaker-result') {
    return err('ha.xml-parse', `crm_mon printed <${root.name}>, not <pacemaker-result>`, 'Is this Pacemaker 2.x?');
  }
  const status = child(root, 'status');
  if (status && status.attrs.code !== '0') {
    const errors = childrenNamed(child(status, 'errors'), 'error')
      .map((e) => e.attrs.message ?? '')
      .join('; ');
    return err(
      'ha.not-running',
      `Pacemaker does not answer on this node: ${status.attrs.message ?? 'error'}${errors ? ` (${errors})` : ''}`,
      'Run `quorate ha enable NAME` to start it.',
    );
  }
  const summary = child(root, 'summary');
  const dc = child(summary, 'current_dc');
  const options = child(summary, 'cluster_options');
  const nodes: HaNode[] = childrenNamed(child(root, 'nodes'), 'node').map((n) => ({
    name: n.attrs.name ?? '',
    online: yes(n.attrs.online),
    standby: yes(n.attrs.standby) || yes(n.attrs.standby_onfail),
    maintenance: yes(n.attrs.maintenance),
    unclean: yes(n.attrs.unclean),
    isDc: yes(n.attrs.is_dc),
  }));
  const failures: HaFailure[] = childrenNamed(child(root, 'failures'), 'failure').map((f) => {
    const opKey = f.attrs.op_key ?? '';
    const task = f.attrs.task ?? '';
    // op_key is RESOURCE_TASK_INTERVAL; the resource id may itself contain underscores.
    const suffix = `_${task}_${f.attrs.interval ?? '0'}`;
    const resource = opKey.endsWith(suffix) ? opKey.slice(0, -suffix.length) : opKey.replace(/_[^_]+_\d+$/, '');
    const reason = [f.attrs.exitstatus, f.attrs.exitreason].filter((x) => x).join(': ');
    return {
      resource,
      task,
      node: f.attrs.node ?? '',
      reason,
      at: parseCrmTime(f.attrs['last-rc-change']),
      call: Number(f.attrs.call ?? 0),
    };
  });
  const failedIds = new Set(failures.map((f) => f.resource));
  const stonith = options?.attrs['stonith-enabled'];
  return ok({
    engine: 'pacemaker',
    dc: dc && yes(dc.attrs.present) ? (dc.attrs.name ?? null) : null,
    quorate: dc && yes(dc.attrs.present) ? yes(dc.attrs.with_quorum) : null,
    fencing: stonith === undefined ? null : stonith === 'true',
    nodes,
    resources: resourcesOf(child(root, 'resources'), null, failedIds),
    failures,
  });
}
