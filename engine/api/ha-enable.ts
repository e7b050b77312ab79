/**
 * `ha enable` on a Pacemaker cluster: the refusals first (a node unreachable, no quorum, no fence
 * device without typed consent, packages that cannot be installed), then install, start pacemakerd
 * on every node, wait for one Designated Controller, set the cluster properties, put nodes in
 * Quorate's maintenance mode in standby, and leave the marker. Its own module because it is the
 * longest use case of service-ha.ts by far and shares nothing with the others beyond ha-open.ts.
 */
import { FENCING_EXPLANATION, FENCING_OPTIONS } from '../ha/notices';
import { createPacemakerEngine } from '../ha/pacemaker.ssh';
import { loadMarks } from '../ops/maintenance-marks.fs';
import { err, ok } from '../result';
import type { HaProgressLine, QuorateApi } from './contract';
import { engineStatus, requireQuorum, waitFor, type Opened } from './ha-open';
import { isHaMarked, markHaEnabled } from './ha-marker';
import type { HaDeps } from './service-ha';

/** Enable HA on the opened cluster `o`; `follow` starts following it once enabled (the app). */
export async function enableHa(
  deps: HaDeps,
  o: Opened,
  { cluster, noFencing, confirm }: Parameters<QuorateApi['haEnable']>[0],
  follow: (cluster: string) => Promise<void>,
): Promise<Awaited<ReturnType<QuorateApi['haEnable']>>> {
  const progress = (cluster: string, node: string, line: string): void => {
    const p: HaProgressLine = { cluster, node, line, at: deps.now() };
    deps.progress?.(p);
    deps.events.emit('onDidHaProgress', p);
  };

  if (o.unreachable.length > 0) {
    return err(
      'ha.node-unreachable',
      `cannot reach ${o.unreachable.map((u) => `${u.node} (${u.message})`).join(', ')}: Pacemaker must be set up on every node.`,
      'Bring those nodes back, then run quorate ha enable again.',
    );
  }
  const q = await requireQuorum(o);
  if (!q.ok) {
    return q;
  }
  const before = await engineStatus(o);
  if (!before.ok) {
    return before;
  }
  const fenceDevices = before.value?.resources.filter((r) => r.agent.startsWith('stonith:')) ?? [];
  const fencingWorks = before.value?.fencing === true && fenceDevices.length > 0;
  if (!fencingWorks && !noFencing) {
    return err(
      'ha.fencing-required',
      `${FENCING_EXPLANATION} ${cluster} has no fence device. What exists: ${FENCING_OPTIONS.join(' ')}`,
      `Set up one of those, or run without fencing (not safe for a split) by typing the cluster name: --no-fencing --confirm ${cluster}`,
    );
  }
  if (noFencing && confirm !== cluster) {
    return err(
      'ha.confirm-mismatch',
      `running without fencing needs the cluster name typed as confirmation (got ${confirm === undefined ? 'nothing' : `"${confirm}"`}).`,
      `Type it: --no-fencing --confirm ${cluster}`,
    );
  }
  const facts = await o.engine.inspect();
  if (!facts.ok) {
    return facts;
  }
  const missing = facts.value.filter((f) => f.missing.length > 0);
  const noApt = missing.filter((f) => !f.apt);
  if (noApt.length > 0) {
    return err(
      'ha.packages-missing',
      `${noApt.map((f) => `${f.node} lacks ${f.missing.join(', ')}`).join('; ')}, and has no apt-get to install them.`,
      'Install pacemaker, pacemaker-cli-utils and resource-agents there with its package manager, then run quorate ha enable again.',
    );
  }
  const installed: string[] = [];
  for (const f of missing) {
    progress(
      cluster,
      f.node,
      `installing pacemaker, pacemaker-cli-utils, resource-agents (missing: ${f.missing.join(', ')})`,
    );
    const r = await o.engine.install(f.node, (node, line) => progress(cluster, node, line));
    if (!r.ok) {
      return r;
    }
    installed.push(f.node);
  }
  if (missing.length > 0) {
    const again = await o.engine.inspect();
    const still = again.ok ? again.value.filter((f) => f.missing.length > 0) : [];
    if (!again.ok || still.length > 0) {
      return err(
        'ha.packages-missing',
        `after apt-get, ${still.map((f) => `${f.node} still lacks ${f.missing.join(', ')}`).join('; ') || 'a node could not be read'}.`,
        'Install pacemaker, pacemaker-cli-utils and resource-agents by hand there, then run quorate ha enable again.',
      );
    }
  }
  const started: string[] = [];
  const starts = await Promise.all(
    o.nodes.map(async (n) => {
      progress(cluster, n.node, 'starting pacemakerd');
      return { node: n.node, r: await o.engine.start(n.node) };
    }),
  );
  for (const s of starts) {
    if (!s.r.ok) {
      return s.r;
    }
    if (s.r.value === 'started') {
      started.push(s.node);
    }
  }
  const names = o.nodes.map((n) => n.node);
  progress(cluster, names[0] ?? '', 'waiting for Pacemaker to elect its Designated Controller');
  const settled = await waitFor(
    o,
    (s) => s.dc !== null && names.every((n) => s.nodes.some((x) => x.name === n && x.online)),
    deps.dcTimeoutMs ?? 180_000,
  );
  if (!settled || settled.dc === null) {
    return err(
      'ha.no-dc',
      `Pacemaker elected no Designated Controller with every node online (last seen: ${settled ? settled.nodes.map((n) => `${n.name} ${n.online ? 'online' : 'offline'}`).join(', ') : 'no answer'}).`,
      'Look at /var/log/pacemaker/pacemaker.log on the nodes, then run quorate ha enable again.',
    );
  }
  const dcs = await Promise.all(
    o.nodes.map(async (n) =>
      createPacemakerEngine([n])
        .status()
        .then((s) => (s.ok ? s.value.dc : null)),
    ),
  );
  if (new Set(dcs).size !== 1) {
    return err(
      'ha.no-dc',
      `the nodes do not agree on one Designated Controller (${o.nodes.map((n, i) => `${n.node}: ${dcs[i] ?? 'none'}`).join(', ')}).`,
      'Wait a moment and run quorate ha enable again.',
    );
  }
  const wasEnabled =
    started.length === 0 &&
    installed.length === 0 &&
    (await isHaMarked(deps.home, cluster)) &&
    (fencingWorks || before.value?.fencing === false);
  const properties = await o.engine.configure({ fencing: !noFencing });
  if (!properties.ok) {
    return properties;
  }
  // A node in Quorate's maintenance mode gets no resource: Pacemaker's standby is how that is said.
  const marks = await loadMarks(deps.home, cluster);
  for (const m of marks) {
    if (!settled.nodes.some((n) => n.name === m.node && n.standby)) {
      const sb = await o.engine.standby(m.node, true);
      if (!sb.ok) {
        return sb;
      }
    }
  }
  await markHaEnabled(deps.home, cluster, !noFencing, deps.now);
  const notes: string[] = [];
  if (wasEnabled) {
    notes.push(`HA was already enabled on ${cluster}: Pacemaker runs on every node; nothing was installed or started.`);
  }
  for (const m of marks) {
    notes.push(
      `${m.node} is in maintenance mode: it is in Pacemaker standby, so no resource runs there until its maintenance ends.`,
    );
  }
  const maint = settled.nodes.filter((n) => (n.maintenance || n.standby) && !marks.some((m) => m.node === n.name));
  for (const n of maint) {
    notes.push(
      `${n.name} is in ${n.maintenance ? 'maintenance' : 'standby'}: Pacemaker places no resource there until it is back (quorate ha unstandby ${cluster} --node ${n.name}).`,
    );
  }
  void follow(cluster);
  return ok({
    cluster,
    engine: 'pacemaker' as const,
    alreadyEnabled: wasEnabled,
    installed,
    started,
    dc: settled.dc,
    properties: properties.value,
    fencing: {
      enabled: !noFencing,
      explanation: FENCING_EXPLANATION,
      options: FENCING_OPTIONS,
    },
    notes,
  });
}
