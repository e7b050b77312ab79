/**
 * Captures real corosync / qnetd tool output on lab hosts into
 * test/engine/corosync/tool-samples/<case>/output.txt (+ command.txt), for the parser tests.
 * Run as root: `npx tsx test/lab/capture-tool-samples.ts [three|two|qdevice|flags]`. It removes the
 * expected.json of every sample it re-captures: write it again with `QUORATE_NEW_SAMPLES=1 npx vitest
 * run test/engine/corosync/tool-samples.test.ts` and review it against output.txt before committing.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { minimalCorosyncConf, startCorosync, stopCorosync, waitQuorate } from './corosync';
import { labUp, type Lab } from './lab';

const SAMPLES = fileURLToPath(new URL('../engine/corosync/tool-samples/', import.meta.url));

async function capture(lab: Lab, host: number, command: string, name: string): Promise<void> {
  const r = await lab.exec(host, command, { timeoutMs: 15_000 });
  const dir = `${SAMPLES}${name}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/output.txt`, r.stdout);
  // A new capture needs a new, reviewed expected.json (QUORATE_NEW_SAMPLES=1 npx vitest run test/engine/corosync/tool-samples.test.ts).
  rmSync(`${dir}/expected.json`, { force: true });
  writeFileSync(
    `${dir}/command.txt`,
    `${command}\n# host: ${lab.host(host).name}, exit ${r.exitCode}${r.stderr ? `, stderr: ${r.stderr.trim()}` : ''}\n`,
  );
  console.log(`${name}: exit ${r.exitCode}\n${r.stdout}`);
}

async function must(lab: Lab, host: number, command: string): Promise<string> {
  const r = await lab.exec(host, command, { timeoutMs: 30_000 });
  if (r.exitCode !== 0) {
    throw new Error(`${lab.host(host).name}: ${command}: ${r.stderr}`);
  }
  return r.stdout;
}

async function copy(lab: Lab, from: number, path: string, to: number, dest: string): Promise<void> {
  const b64 = await must(lab, from, `base64 -w0 ${path}`);
  const up = await lab.host(to).runner.upload(dest, Buffer.from(b64, 'base64'), 0o600);
  if (!up.ok) {
    throw new Error(up.error.message);
  }
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) {
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Until both nodes see both qdevices alive and voting. */
async function bothVoting(lab: Lab): Promise<void> {
  for (const h of [1, 2]) {
    await waitFor(`qdevice votes seen on node${h}`, 60_000, async () => {
      const out = (await lab.exec(h, 'corosync-quorumtool -s', { timeoutMs: 10_000 })).stdout;
      return / A,V,NMW node1\b/.test(out) && / A,V,NMW node2\b/.test(out) && /Total votes: +3/.test(out);
    });
  }
}

async function threeNodes(lab: Lab): Promise<void> {
  await startCorosync(lab, [1, 2, 3], minimalCorosyncConf(lab, [1, 2, 3], { clusterName: 'lab3' }));
  await waitQuorate(lab, 1, true);
  await waitFor('3 members', 20_000, async () =>
    (await lab.exec(1, 'corosync-quorumtool -s')).stdout.includes('Total votes:      3'),
  );
  await capture(lab, 1, 'corosync-quorumtool -s', 'quorumtool-s-three-nodes-quorate');
  await capture(lab, 1, 'corosync-quorumtool -l', 'quorumtool-l-three-nodes');
  await capture(lab, 1, 'corosync-quorumtool -l -i', 'quorumtool-l-i-three-nodes');
  await capture(lab, 1, 'corosync-quorumtool -s -i', 'quorumtool-s-i-three-nodes');
  await capture(lab, 1, 'corosync-quorumtool -s -H', 'quorumtool-s-H-three-nodes');
  await capture(lab, 1, 'corosync-cfgtool -s', 'cfgtool-s-three-nodes');
  await capture(lab, 1, 'corosync-cfgtool -n', 'cfgtool-n-three-nodes');
  await capture(lab, 1, 'corosync-cfgtool -s -b', 'cfgtool-s-b-three-nodes');
  await lab.fakeProxmox(1, { version: '8.2.4' });
  await capture(lab, 1, 'pvecm status', 'pvecm-status-lab-three-nodes');
  await capture(lab, 1, 'pvecm nodes', 'pvecm-nodes-lab-three-nodes');
  await lab.cut(3);
  await waitQuorate(lab, 3, false);
  await waitFor('2 members on node1', 30_000, async () =>
    (await lab.exec(1, 'corosync-quorumtool -s')).stdout.includes('Total votes:      2'),
  );
  await capture(lab, 3, 'corosync-quorumtool -s', 'quorumtool-s-cut-node-inquorate');
  await capture(lab, 1, 'corosync-quorumtool -s', 'quorumtool-s-two-of-three-quorate');
  await capture(lab, 1, 'corosync-quorumtool -l', 'quorumtool-l-two-of-three');
  await capture(lab, 3, 'corosync-cfgtool -s', 'cfgtool-s-cut-node');
  await capture(lab, 1, 'corosync-cfgtool -s', 'cfgtool-s-peer-cut');
  await lab.heal(3);
  await stopCorosync(lab);
}

async function twoNode(lab: Lab): Promise<void> {
  await startCorosync(lab, [1, 2], minimalCorosyncConf(lab, [1, 2], { clusterName: 'lab2', quorum: ['two_node: 1'] }));
  await waitQuorate(lab, 1, true);
  await waitFor('2 members', 20_000, async () =>
    (await lab.exec(1, 'corosync-quorumtool -s')).stdout.includes('Total votes:      2'),
  );
  await capture(lab, 1, 'corosync-quorumtool -s', 'quorumtool-s-two-node');
  await capture(lab, 1, 'corosync-quorumtool -l', 'quorumtool-l-two-node');
  await stopCorosync(lab);
}

async function qdevice(lab: Lab): Promise<void> {
  const cluster = 'labqd';
  // The certificate flow of lab-notes: qnetd CA on node3, node1 signs for the cluster, node2 imports.
  await must(lab, 3, 'rm -rf /etc/corosync/qnetd && corosync-qnetd-certutil -i');
  await copy(lab, 3, '/etc/corosync/qnetd/nssdb/qnetd-cacert.crt', 1, '/tmp/qnetd-cacert.crt');
  await copy(lab, 3, '/etc/corosync/qnetd/nssdb/qnetd-cacert.crt', 2, '/tmp/qnetd-cacert.crt');
  for (const h of [1, 2]) {
    await must(lab, h, 'rm -rf /etc/corosync/qdevice && corosync-qdevice-net-certutil -i -c /tmp/qnetd-cacert.crt');
  }
  await must(lab, 1, `corosync-qdevice-net-certutil -r -n ${cluster}`);
  await copy(lab, 1, '/etc/corosync/qdevice/net/nssdb/qdevice-net-node.crq', 3, '/tmp/qdevice-net-node.crq');
  await must(lab, 3, `corosync-qnetd-certutil -s -c /tmp/qdevice-net-node.crq -n ${cluster}`);
  await copy(lab, 3, `/etc/corosync/qnetd/nssdb/cluster-${cluster}.crt`, 1, `/tmp/cluster-${cluster}.crt`);
  await must(lab, 1, `corosync-qdevice-net-certutil -M -c /tmp/cluster-${cluster}.crt`);
  await copy(lab, 1, '/etc/corosync/qdevice/net/nssdb/qdevice-net-node.p12', 2, '/tmp/qdevice-net-node.p12');
  await must(lab, 2, 'corosync-qdevice-net-certutil -m -c /tmp/qdevice-net-node.p12');

  const qnetd = await lab.spawnDaemon(3, ['corosync-qnetd', '-f', '-d'], { logFile: '/var/log/corosync-qnetd.log' });
  const conf = minimalCorosyncConf(lab, [1, 2], {
    clusterName: cluster,
    quorum: [
      'device {',
      '  model: net',
      '  votes: 1',
      '  net {',
      `    host: ${lab.host(3).address}`,
      '    algorithm: ffsplit',
      '    tls: on',
      '  }',
      '}',
    ],
  });
  await startCorosync(lab, [1, 2], conf);
  for (const h of [1, 2]) {
    await lab.spawnDaemon(h, ['corosync-qdevice', '-f', '-d'], { logFile: '/var/log/corosync-qdevice.log' });
  }
  await waitFor('qdevice vote', 40_000, async () =>
    (await lab.exec(1, 'corosync-quorumtool -s')).stdout.includes('Total votes:      3'),
  );
  await bothVoting(lab);
  await capture(lab, 1, 'corosync-quorumtool -s', 'quorumtool-s-qdevice');
  await capture(lab, 1, 'corosync-quorumtool -l', 'quorumtool-l-qdevice');
  await capture(lab, 1, 'corosync-quorumtool -s -p', 'quorumtool-s-p-qdevice');
  await capture(lab, 3, 'corosync-qnetd-tool -l', 'qnetd-tool-l');
  await capture(lab, 3, 'corosync-qnetd-tool -l -v', 'qnetd-tool-l-v');
  await capture(lab, 3, 'corosync-qnetd-tool -s', 'qnetd-tool-s');
  await lab.fakeProxmox(1, { version: '8.2.4' });
  await capture(lab, 1, 'pvecm status', 'pvecm-status-lab-qdevice');

  // node2's qdevice daemon stops: node2 is no longer registered (NR) in node1's view.
  const qd2 = lab.daemons(2).find((d) => d.argv[0] === 'corosync-qdevice');
  if (qd2) {
    await lab.killDaemon(qd2.pid);
  }
  await waitFor('node2 unregistered', 30_000, async () =>
    / NR +node2/.test((await lab.exec(1, 'corosync-quorumtool -s')).stdout),
  );
  await capture(lab, 1, 'corosync-quorumtool -s', 'quorumtool-s-qdevice-peer-unregistered');
  await lab.spawnDaemon(2, ['corosync-qdevice', '-f', '-d'], { logFile: '/var/log/corosync-qdevice.log' });
  await bothVoting(lab);

  // The qnetd host goes away: the cluster keeps quorum, the QDevice vote drops (A,NV,NMW).
  await lab.cut(3);
  await waitFor('qdevice vote lost', 60_000, async () =>
    / A,NV,NMW node1 \(local\)/.test((await lab.exec(1, 'corosync-quorumtool -s', { timeoutMs: 10_000 })).stdout),
  );
  await capture(lab, 1, 'corosync-quorumtool -s', 'quorumtool-s-qdevice-qnetd-lost');
  await lab.heal(3);
  await bothVoting(lab);

  // node2 is cut: node1 keeps quorum with the QDevice; node2 loses it.
  await lab.cut(2);
  await waitQuorate(lab, 2, false, 60_000);
  await waitFor('node1 alone with the QDevice', 60_000, async () => {
    const out = (await lab.exec(1, 'corosync-quorumtool -s', { timeoutMs: 10_000 })).stdout;
    return /^Nodes: +1$/m.test(out) && /^Quorate: +Yes$/m.test(out);
  });
  await capture(lab, 1, 'corosync-quorumtool -s', 'quorumtool-s-qdevice-peer-cut');
  await capture(lab, 2, 'corosync-quorumtool -s', 'quorumtool-s-qdevice-isolated');
  await capture(lab, 3, 'corosync-qnetd-tool -l', 'qnetd-tool-l-one-node');
  await lab.heal(2);
  await stopCorosync(lab);
  await lab.killDaemon(qnetd);
}

async function flags(lab: Lab): Promise<void> {
  const conf = minimalCorosyncConf(lab, [1, 2, 3], {
    clusterName: 'labflags',
    votes: { node3: 2 },
    quorum: ['wait_for_all: 1', 'last_man_standing: 1', 'auto_tie_breaker: 1'],
  });
  await startCorosync(lab, [1, 2, 3], conf);
  await waitFor('4 votes', 30_000, async () =>
    /Total votes: +4/.test((await lab.exec(1, 'corosync-quorumtool -s')).stdout),
  );
  await capture(lab, 1, 'corosync-quorumtool -s', 'quorumtool-s-lms-atb-weighted');
  await capture(lab, 1, 'corosync-quorumtool -l -o n', 'quorumtool-l-o-n-weighted');
  await stopCorosync(lab);
  // corosync drops last_man_standing when any node has more than one vote (votequorum.c); with
  // equal votes the flag shows.
  await startCorosync(
    lab,
    [1, 2, 3],
    minimalCorosyncConf(lab, [1, 2, 3], { clusterName: 'lablms', quorum: ['last_man_standing: 1'] }),
  );
  await waitFor('3 votes', 30_000, async () =>
    /Total votes: +3/.test((await lab.exec(1, 'corosync-quorumtool -s')).stdout),
  );
  await capture(lab, 1, 'corosync-quorumtool -s', 'quorumtool-s-lms');
  await stopCorosync(lab);
}

const only = process.argv[2];
const lab = await labUp({ hosts: 3 });
try {
  if (!only || only === 'three') {
    await threeNodes(lab);
  }
  if (!only || only === 'two') {
    await twoNode(lab);
  }
  if (!only || only === 'qdevice') {
    await qdevice(lab);
  }
  if (!only || only === 'flags') {
    await flags(lab);
  }
} finally {
  await lab.down();
}
