/**
 * Provider `corosync` (plain Debian): Quorate writes corosync.conf, the authkey and the QDevice
 * certificates itself, as pcs does. The file is the spec's (`ClusterSpec.conf`: pvecm's layout when
 * created, then engine/corosync's lossless edits). Pure step builders; the executor runs them.
 * Over 400 lines on purpose: every operation's steps share the install-conf, verify and reload-on-undo
 * blocks here; the QDevice certificate chain alone is ~170 lines.
 */
import type { Step } from '../plan/plan';
import { AUTHKEY } from '../plan/paths';
import { sh } from '../shell';
import type { ClusterSpec } from '../plan/spec';

const QNETD_DB = '/etc/corosync/qnetd/nssdb';
const QDEVICE_DIR = '/etc/corosync/qdevice/net';
const QDEVICE_DB = `${QDEVICE_DIR}/nssdb`;

/** Machines of a spec's nodes, in nodeid order; a node without a machine is a bug in the caller. */
export function machinesOf(spec: ClusterSpec): string[] {
  return spec.nodes.map((n) => n.machine ?? n.name);
}

/** Write `spec`'s corosync.conf on every listed machine (the commit), each undone by restoring `previousVersion`. */
export function installConfSteps(
  spec: ClusterSpec,
  machines: readonly string[],
  previousVersion: number | null,
): Step[] {
  const content = spec.conf;
  return machines.map((m) => ({
    id: `install-conf-v${spec.configVersion}@${m}`,
    machine: m,
    batch: `install-conf-v${spec.configVersion}`,
    title: `write corosync.conf (config_version ${spec.configVersion}), tested with corosync -t, previous kept as .bak`,
    action: {
      kind: 'install-conf',
      content,
      configVersion: spec.configVersion,
      ...(previousVersion !== null ? { from: previousVersion } : {}),
    },
    rollback: { kind: 'restore-conf', version: previousVersion },
  }));
}

/** `steps` run as one batch with the steps before them that carry `batch` (they stay in plan order). */
function inBatch(steps: Step[], batch: string): Step[] {
  return steps.map((s) => ({ ...s, batch }));
}

export function createSteps(spec: ClusterSpec): Step[] {
  const machines = machinesOf(spec);
  const first = machines[0]!;
  const steps: Step[] = [
    {
      id: `authkey@${first}`,
      machine: first,
      title: 'generate the cluster authkey (corosync-keygen, 0400 root)',
      action: {
        kind: 'run',
        command: sh`corosync-keygen -k ${AUTHKEY} >/dev/null && chmod 0400 ${AUTHKEY}`,
        doneIf: sh`test -s ${AUTHKEY}`,
      },
      rollback: { kind: 'run', command: sh`rm -f ${AUTHKEY}` },
      files: [{ path: AUTHKEY, action: 'create' }],
    },
  ];
  for (const m of machines.slice(1)) {
    steps.push({
      id: `authkey@${m}`,
      machine: m,
      batch: 'authkey-copy',
      title: `copy the authkey from ${first}`,
      action: { kind: 'copy-file', from: first, fromPath: AUTHKEY, path: AUTHKEY, mode: 0o400 },
      rollback: { kind: 'run', command: sh`rm -f ${AUTHKEY}` },
    });
  }
  steps.push(...installConfSteps(spec, machines, null));
  for (const m of machines) {
    steps.push({
      id: `start-corosync@${m}`,
      machine: m,
      batch: 'start-corosync',
      title: 'start corosync',
      action: { kind: 'start-service', service: 'corosync' },
      rollback: { kind: 'stop-service', service: 'corosync' },
    });
  }
  steps.push(...verifySteps(spec));
  return steps;
}

/** Every node reports the full membership, quorate (and the QDevice vote when there is one). */
export function verifySteps(
  spec: ClusterSpec,
  machines: readonly string[] = machinesOf(spec),
  timeoutMs = 60_000,
): Step[] {
  return machines.map((m) => ({
    id: `verify-v${spec.configVersion}@${m}`,
    machine: m,
    batch: `verify-v${spec.configVersion}`,
    title: `verify: ${machines.length} member(s), quorate${spec.qdevice ? ', QDevice voting' : ''}`,
    action: {
      kind: 'wait-quorum',
      members: machines.length,
      quorate: true,
      ...(spec.qdevice ? { qdeviceVote: true } : {}),
      timeoutMs,
    },
  }));
}

/**
 * A first no-op step whose undo reloads: rolled back last, after every conf was restored (undo goes
 * by plan order, so it may share a batch with the steps after it).
 */
function reloadOnUndo(machine: string, version: number, batch?: string): Step {
  return {
    id: `reload-on-undo-v${version}@${machine}`,
    machine,
    ...(batch ? { batch } : {}),
    title: 'prepare (reloads corosync.conf if the change is rolled back)',
    action: { kind: 'run', command: 'true' },
    rollback: { kind: 'reload-corosync' },
  };
}

export function joinSteps(before: ClusterSpec, after: ClusterSpec, joiners: readonly string[]): Step[] {
  const members = machinesOf(before);
  const first = members[0]!;
  const steps: Step[] = [reloadOnUndo(first, after.configVersion, 'authkey-copy')];
  for (const m of joiners) {
    steps.push({
      id: `authkey@${m}`,
      machine: m,
      batch: 'authkey-copy',
      title: `copy the authkey from ${first}`,
      action: { kind: 'copy-file', from: first, fromPath: AUTHKEY, path: AUTHKEY, mode: 0o400 },
      rollback: { kind: 'run', command: sh`rm -f ${AUTHKEY}` },
    });
  }
  steps.push(...installConfSteps(after, joiners, null));
  steps.push(...installConfSteps(after, members, before.configVersion));
  steps.push({
    id: `reload-v${after.configVersion}@${first}`,
    machine: first,
    title: 'reload corosync.conf on every member (corosync-cfgtool -R)',
    action: { kind: 'reload-corosync' },
  });
  for (const m of joiners) {
    steps.push({
      id: `start-corosync@${m}`,
      machine: m,
      batch: 'start-corosync',
      title: 'start corosync',
      action: { kind: 'start-service', service: 'corosync' },
      rollback: { kind: 'stop-service', service: 'corosync' },
    });
  }
  steps.push(...verifySteps(after));
  return steps;
}

/**
 * Remove a node on the machines that remain online (`acting`): the new file (which may also drop
 * or change the QDevice) everywhere first, one reload, then the qdevice daemons follow the running
 * config — stopped when it has no QDevice any more, restarted when its algorithm or votes changed.
 */
export function removeSteps(
  before: ClusterSpec,
  after: ClusterSpec,
  acting: readonly string[],
  removed: { name: string; machine?: string; reachable: boolean },
): Step[] {
  const first = acting[0]!;
  const v = after.configVersion;
  const steps: Step[] = [reloadOnUndo(first, v)];
  steps.push(...installConfSteps(after, acting, before.configVersion));
  steps.push({
    id: `reload-v${v}@${first}`,
    machine: first,
    title: `reload corosync.conf without ${removed.name}`,
    action: { kind: 'reload-corosync' },
  });
  const bq = before.qdevice;
  const aq = after.qdevice;
  if (bq && !aq) {
    for (const m of acting) {
      steps.push({
        id: `stop-qdevice-v${v}@${m}`,
        machine: m,
        batch: `stop-qdevice-v${v}`,
        title: 'stop corosync-qdevice (the running config has no QDevice any more)',
        action: { kind: 'stop-service', service: 'corosync-qdevice' },
        rollback: { kind: 'start-service', service: 'corosync-qdevice' },
      });
    }
  } else if (bq && aq && (bq.algorithm !== aq.algorithm || bq.votes !== aq.votes)) {
    // The daemons restart with the new algorithm: the QDevice's vote is missing meanwhile. A failure
    // there (or a vote that never comes) rolls the whole remove back at once: the old file, a reload,
    // and the daemons restarted on it (the first steps, whose undo runs last).
    // Undone last (they come first), after the old file is back and reloaded: stop, then start.
    steps.unshift(
      ...acting.map((m): Step => ({
        id: `start-qdevice-on-undo-v${v}@${m}`,
        machine: m,
        title: 'prepare (starts corosync-qdevice on the previous file if the change is rolled back)',
        action: { kind: 'run', command: 'true' },
        rollback: { kind: 'start-service', service: 'corosync-qdevice' },
      })),
      ...acting.map((m): Step => ({
        id: `stop-qdevice-on-undo-v${v}@${m}`,
        machine: m,
        title: 'prepare (stops corosync-qdevice if the change is rolled back, to restart it)',
        action: { kind: 'run', command: 'true' },
        rollback: { kind: 'stop-service', service: 'corosync-qdevice' },
      })),
    );
    for (const m of acting) {
      steps.push(
        {
          id: `stop-qdevice-v${v}@${m}`,
          machine: m,
          title: `stop corosync-qdevice (${bq.algorithm}) to restart it with ${aq.algorithm}`,
          action: { kind: 'stop-service', service: 'corosync-qdevice' },
          undoOnFailure: true,
        },
        {
          id: `start-qdevice-v${v}@${m}`,
          machine: m,
          title: `start corosync-qdevice (${aq.algorithm}, ${aq.votes} vote(s))`,
          action: { kind: 'start-service', service: 'corosync-qdevice' },
          undoOnFailure: true,
        },
      );
    }
    steps.push(...verifySteps(after, acting, 90_000).map((s) => ({ ...s, undoOnFailure: true })));
    if (removed.reachable && removed.machine) {
      steps.push(cleanRemovedStep(after.name, removed.machine));
    }
    return steps;
  }
  steps.push(...verifySteps(after, acting, aq ? 90_000 : 60_000));
  if (bq && !aq) {
    for (const m of acting) {
      steps.push({
        id: `qdevice-db-clean-v${v}@${m}`,
        machine: m,
        batch: `qdevice-db-clean-v${v}`,
        title: 'remove the qdevice certificate database',
        files: [{ path: QDEVICE_DB, action: 'delete' }],
        action: {
          kind: 'run',
          command: sh`rm -rf ${QDEVICE_DB} ${`${QDEVICE_DIR}/qnetd-cacert.crt.installed`} ${`${QDEVICE_DIR}/qdevice-net-node.p12`}`,
        },
      });
    }
  }
  if (removed.reachable && removed.machine) {
    steps.push(cleanRemovedStep(after.name, removed.machine));
  }
  return steps;
}

/**
 * On a removed node: refuse while its corosync still runs, else move corosync.conf and authkey aside.
 * It must not come back with the old config (Proxmox docs, "Remove a Cluster Node").
 */
export function cleanRemovedStep(cluster: string, machine: string): Step {
  const suffix = `.removed-from-${cluster}`;
  return {
    id: `clean@${machine}`,
    machine,
    title: 'move the old cluster files aside (it must not rejoin with them)',
    files: [
      { path: '/etc/corosync/corosync.conf', action: 'delete' },
      { path: '/etc/corosync/authkey', action: 'delete' },
    ],
    action: {
      kind: 'run',
      command: sh`corosync-cfgtool -s >/dev/null 2>&1 && { echo "corosync is still running on this node: stop it first" >&2; exit 1; }; cd /etc/corosync && for f in corosync.conf authkey; do [ -f "$f" ] && mv -f -- "$f" "$f"${suffix}; done; true`,
    },
  };
}

/** The NSS certificate exchange of shared/lab-notes.md, then the config, then the daemons. */
export function qdeviceSetupSteps(before: ClusterSpec, after: ClusterSpec, qnetdMachine: string): Step[] {
  const nodes = machinesOf(after);
  const first = nodes[0]!;
  const name = after.name;
  const ca = `${QDEVICE_DIR}/qnetd-cacert.crt`;
  // File names carry the cluster name; each is one quoted word wherever a command names it.
  const clusterCrt = `cluster-${name}.crt`;
  const nodeCrq = `qdevice-net-node-${name}.crq`;
  // Steps that do the same on every node run as one batch; qnetd starts as soon as its CA exists.
  const steps: Step[] = [reloadOnUndo(first, after.configVersion, 'qnetd-ca')];
  steps.push({
    id: `qnetd-ca@${qnetdMachine}`,
    machine: qnetdMachine,
    batch: 'qnetd-ca',
    title: 'create the qnetd certificate authority (corosync-qnetd-certutil -i)',
    files: [{ path: `${QNETD_DB}/qnetd-cacert.crt`, action: 'create' }],
    action: {
      kind: 'run',
      command: sh`corosync-qnetd-certutil -i >/dev/null && chown -R coroqnetd:coroqnetd /etc/corosync/qnetd 2>/dev/null; test -f ${`${QNETD_DB}/qnetd-cacert.crt`}`,
      doneIf: sh`test -f ${`${QNETD_DB}/qnetd-cacert.crt`}`,
    },
  });
  steps.push({
    id: `start-qnetd@${qnetdMachine}`,
    machine: qnetdMachine,
    batch: 'qdevice-ca-copy',
    title: 'start corosync-qnetd',
    action: { kind: 'start-service', service: 'corosync-qnetd' },
  });
  for (const m of nodes) {
    steps.push({
      id: `qdevice-ca-copy@${m}`,
      machine: m,
      batch: 'qdevice-ca-copy',
      title: `copy the qnetd CA certificate from ${qnetdMachine}`,
      action: {
        kind: 'copy-file',
        from: qnetdMachine,
        fromPath: `${QNETD_DB}/qnetd-cacert.crt`,
        path: ca,
        mode: 0o644,
      },
    });
  }
  // The first node's database, then its certificate request beside the other nodes' databases
  // (they are needed only when the signed node certificate is imported there).
  for (const m of nodes) {
    steps.push({
      id: `qdevice-db@${m}`,
      machine: m,
      batch: m === first ? 'qdevice-db' : 'qdevice-crq',
      title: 'initialise the qdevice certificate database with that CA',
      files: [{ path: QDEVICE_DB, action: 'create' }],
      action: {
        kind: 'run',
        command: sh`rm -rf ${QDEVICE_DB} && corosync-qdevice-net-certutil -i -c ${ca} >/dev/null && cp ${ca} ${`${ca}.installed`}`,
        doneIf: sh`test -d ${QDEVICE_DB} && cmp -s ${ca} ${`${ca}.installed`}`,
      },
      rollback: { kind: 'run', command: sh`rm -rf ${QDEVICE_DB} ${`${ca}.installed`}` },
    });
  }
  steps.splice(steps.findIndex((x) => x.id === `qdevice-db@${first}`) + 1, 0, {
    id: `qdevice-crq@${first}`,
    machine: first,
    batch: 'qdevice-crq',
    title: `request the cluster certificate for "${name}"`,
    action: {
      kind: 'run',
      command: sh`cd ${QDEVICE_DB} && rm -f qdevice-net-node.crq && corosync-qdevice-net-certutil -r -n ${name} >/dev/null`,
    },
  });
  steps.push({
    id: `qnetd-crq-copy@${qnetdMachine}`,
    machine: qnetdMachine,
    title: `copy the certificate request from ${first}`,
    action: {
      kind: 'copy-file',
      from: first,
      fromPath: `${QDEVICE_DB}/qdevice-net-node.crq`,
      path: `${QNETD_DB}/${nodeCrq}`,
      mode: 0o644,
    },
  });
  steps.push({
    id: `qnetd-sign@${qnetdMachine}`,
    machine: qnetdMachine,
    title: `sign the cluster certificate for "${name}"`,
    files: [{ path: `${QNETD_DB}/cluster-${name}.crt`, action: 'create' }],
    action: {
      kind: 'run',
      command: sh`cd ${QNETD_DB} && rm -f -- ${clusterCrt} && corosync-qnetd-certutil -s -c ${nodeCrq} -n ${name} >/dev/null && chown -R coroqnetd:coroqnetd /etc/corosync/qnetd 2>/dev/null; test -f ${clusterCrt}`,
    },
  });
  steps.push({
    id: `qdevice-crt-copy@${first}`,
    machine: first,
    title: `copy the signed certificate from ${qnetdMachine}`,
    action: {
      kind: 'copy-file',
      from: qnetdMachine,
      fromPath: `${QNETD_DB}/${clusterCrt}`,
      path: `${QDEVICE_DB}/${clusterCrt}`,
      mode: 0o644,
    },
  });
  steps.push({
    id: `qdevice-p12@${first}`,
    machine: first,
    title: 'import it and export the node certificate (pk12)',
    action: {
      kind: 'run',
      command: sh`cd ${QDEVICE_DB} && rm -f qdevice-net-node.p12 && corosync-qdevice-net-certutil -M -c ${clusterCrt} >/dev/null && test -f qdevice-net-node.p12`,
    },
  });
  for (const m of nodes.slice(1)) {
    steps.push({
      id: `qdevice-p12-copy@${m}`,
      machine: m,
      batch: 'qdevice-p12-copy',
      title: `copy the node certificate from ${first}`,
      action: {
        kind: 'copy-file',
        from: first,
        fromPath: `${QDEVICE_DB}/qdevice-net-node.p12`,
        path: `${QDEVICE_DIR}/qdevice-net-node.p12`,
        mode: 0o600,
      },
    });
  }
  for (const m of nodes.slice(1)) {
    steps.push({
      id: `qdevice-p12-import@${m}`,
      machine: m,
      batch: 'qdevice-p12-import',
      title: 'import the node certificate',
      action: {
        kind: 'run',
        command: sh`corosync-qdevice-net-certutil -m -c ${`${QDEVICE_DIR}/qdevice-net-node.p12`} >/dev/null`,
      },
    });
  }
  // The file beside the last imports (the last step of the certificate chain, ~1 s of NSS work):
  // nothing reads it before the reload below, and its `corosync -t` needs only the authkey the
  // running cluster has. (Not so in create/join: there `corosync -t` needs the authkey copied first.)
  steps.push(...inBatch(installConfSteps(after, nodes, before.configVersion), 'qdevice-p12-import'));
  steps.push({
    id: `reload-v${after.configVersion}@${first}`,
    machine: first,
    title: 'reload corosync.conf (expected votes now count the QDevice: keep every node up until the daemons run)',
    action: { kind: 'reload-corosync' },
  });
  for (const m of nodes) {
    steps.push({
      id: `start-qdevice@${m}`,
      machine: m,
      batch: 'start-qdevice',
      title: 'start corosync-qdevice',
      action: { kind: 'start-service', service: 'corosync-qdevice' },
      rollback: { kind: 'stop-service', service: 'corosync-qdevice' },
    });
  }
  steps.push(...verifySteps(after, nodes, 90_000));
  return steps;
}

/**
 * Remove the QDevice on the online nodes (`acting`): the file without it first, one reload (expected
 * votes drop with the QDevice's votes, so quorum never waits for a vote that is going away), then
 * the daemons stop. The qnetd host is not touched: it may be gone.
 */
export function qdeviceRemoveSteps(
  before: ClusterSpec,
  after: ClusterSpec,
  acting: readonly string[] = machinesOf(after),
): Step[] {
  const first = acting[0]!;
  const v = after.configVersion;
  const steps: Step[] = [reloadOnUndo(first, v)];
  steps.push(...installConfSteps(after, acting, before.configVersion));
  steps.push({
    id: `reload-v${v}@${first}`,
    machine: first,
    title: 'reload corosync.conf without quorum.device',
    action: { kind: 'reload-corosync' },
  });
  for (const m of acting) {
    steps.push({
      id: `stop-qdevice-v${v}@${m}`,
      machine: m,
      batch: `stop-qdevice-v${v}`,
      title: 'stop corosync-qdevice',
      action: { kind: 'stop-service', service: 'corosync-qdevice' },
      rollback: { kind: 'start-service', service: 'corosync-qdevice' },
    });
  }
  for (const m of acting) {
    steps.push({
      id: `qdevice-db-clean-v${v}@${m}`,
      machine: m,
      batch: `qdevice-db-clean-v${v}`,
      title: 'remove the qdevice certificate database',
      action: {
        kind: 'run',
        command: sh`rm -rf ${QDEVICE_DB} ${`${QDEVICE_DIR}/qnetd-cacert.crt.installed`} ${`${QDEVICE_DIR}/qdevice-net-node.p12`}`,
      },
    });
  }
  steps.push(...verifySteps(after, acting));
  return steps;
}

export function linkSteps(before: ClusterSpec, after: ClusterSpec): Step[] {
  const nodes = machinesOf(after);
  const first = nodes[0]!;
  return [
    reloadOnUndo(first, after.configVersion),
    ...installConfSteps(after, nodes, before.configVersion),
    {
      id: `reload-v${after.configVersion}@${first}`,
      machine: first,
      title: 'reload corosync.conf with the new link',
      action: { kind: 'reload-corosync' },
    },
    ...verifySteps(after),
  ];
}

export function expectedSteps(spec: ClusterSpec, machine: string, votes: number): Step[] {
  return [
    {
      id: `expected-${votes}@${machine}`,
      machine,
      title: `set expected votes to ${votes} (runtime only, until the next membership change)`,
      action: { kind: 'run', command: sh`corosync-quorumtool -e ${votes}` },
    },
  ];
}
