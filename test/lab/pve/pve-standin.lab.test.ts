/**
 * The Proxmox VE stand-in over real corosync/qnetd: pvecm's own checks and messages (from
 * pve-cluster), /etc/pve shared by the members and read-only on an inquorate node, config_version
 * bumped on every write, the QDevice flow. One lab: hosts 1-3 stand-in nodes, host 4 the qnetd host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labSupport, labUp, type Lab } from '../lab';
import { authorizeKeys, standinKeys } from './install';

const support = labSupport();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let lab: Lab;
const addr = (i: number): string => lab.host(i).address;
const pvecm = (i: number, args: string, timeoutMs = 120_000) => lab.exec(i, `cd /root && pvecm ${args}`, { timeoutMs });

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) {
      return;
    }
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const quorate = async (i: number): Promise<boolean> =>
  /^Quorate:\s+Yes/m.test((await lab.exec(i, 'corosync-quorumtool -s', { timeoutMs: 15_000 })).stdout);
const writable = async (i: number): Promise<boolean> =>
  (await lab.exec(i, 'touch /etc/pve/.probe && rm -f /etc/pve/.probe')).exitCode === 0;
const version = async (i: number): Promise<number> =>
  Number(/config_version: (\d+)/.exec((await lab.exec(i, 'cat /etc/pve/corosync.conf')).stdout)?.[1] ?? -1);

describe.skipIf(!support.ok)('Proxmox VE stand-in (pvecm over real corosync)', () => {
  beforeAll(async () => {
    lab = await labUp({
      hosts: 4,
      pve: [1, 2, 3],
      pveHost: (i) => (i === 2 ? { guests: [{ vmid: 100, name: 'web', kind: 'qemu' }] } : {}),
    });
    // The qnetd host: what `apt install corosync-qnetd` leaves running, reachable by the nodes' root keys.
    await authorizeKeys(lab, 4, await standinKeys(lab, [1, 2, 3]));
    const r = await lab.exec(
      4,
      'corosync-qnetd-certutil -i >/dev/null && chown -R coroqnetd:coroqnetd /etc/corosync/qnetd && mkdir -p /run/quorate /var/log/quorate && (setsid nohup corosync-qnetd -f -d >>/var/log/quorate/corosync-qnetd.log 2>&1 & echo $! > /run/quorate/corosync-qnetd.pid)',
      { timeoutMs: 30_000 },
    );
    expect(r.exitCode, r.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await lab?.down();
  });

  it('a standalone node: pvecm status refuses, qm list shows its guest, /etc/pve writable', async () => {
    const s = await pvecm(1, 'status');
    expect(s.exitCode).toBe(255);
    expect(s.stderr).toContain(
      "Error: Corosync config '/etc/pve/corosync.conf' does not exist - is this node part of a cluster?",
    );
    expect((await lab.exec(2, 'qm list')).stdout).toMatch(/^\s+100 web\s+running/m);
    expect((await lab.exec(1, 'pveversion')).stdout).toMatch(/^pve-manager\/8\.2\.4\//);
    expect(await writable(1)).toBe(true);
  });

  it('pvecm create: refuses a name Proxmox does not allow, then writes config_version 1 and starts corosync', async () => {
    const bad = await pvecm(1, 'create my_cluster');
    expect(bad.exitCode).toBe(255);
    expect(bad.stderr).toMatch(/clustername: invalid format/);
    const r = await pvecm(1, `create lab --link0 ${addr(1)}`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Writing corosync config to /etc/pve/corosync.conf');
    expect(await version(1)).toBe(1);
    await waitFor('node1 quorate', () => quorate(1));
    const again = await pvecm(1, `create lab --link0 ${addr(1)}`);
    expect(again.stderr).toContain("cluster config '/etc/pve/corosync.conf' already exists");
  }, 120_000);

  it('pvecm add: assert_joinable refuses a node with guests and a link that is not local', async () => {
    const guests = await pvecm(2, `add ${addr(1)} --link0 ${addr(2)} --use_ssh 1`);
    expect(guests.exitCode).toBe(255);
    expect(guests.stderr).toContain('* this host already contains virtual guests');
    expect(guests.stderr).toContain('Check if node may join a cluster failed!');
    const notLocal = await pvecm(3, `add ${addr(1)} --link0 ${addr(2)} --use_ssh 1`);
    expect(notLocal.stderr).toContain(`* link0: cannot use IP '${addr(2)}', not found on local node!`);
    const links = await pvecm(3, `add ${addr(1)} --link0 ${addr(3)} --link1 ${addr(3)} --use_ssh 1`);
    expect(links.exitCode).toBe(255);
    expect(links.stderr).toContain("corosync: link 1 specified for new node doesn't exist in cluster config");
    expect(await version(1)).toBe(1);
  }, 120_000);

  it('pvecm add joins over SSH: one shared /etc/pve, config_version bumped, all quorate', async () => {
    await lab.exec(2, 'rm -f /etc/pve/nodes/node2/qemu-server/100.conf');
    const r = await pvecm(2, `add ${addr(1)} --link0 ${addr(2)} --use_ssh 1`, 180_000);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain("successfully added node 'node2' to cluster.");
    const r3 = await pvecm(3, `add ${addr(1)} --link0 ${addr(3)} --use_ssh 1`, 180_000);
    expect(r3.exitCode, `${r3.stdout}\n${r3.stderr}`).toBe(0);
    expect(await version(3)).toBe(3);
    await lab.exec(1, 'echo shared > /etc/pve/probe.txt');
    expect((await lab.exec(3, 'cat /etc/pve/probe.txt')).stdout.trim()).toBe('shared');
    await waitFor('3 nodes quorate', async () =>
      /Total votes:\s+3/.test((await lab.exec(1, 'corosync-quorumtool -s')).stdout),
    );
    const st = await pvecm(2, 'status');
    expect(st.stdout).toMatch(/^Name:\s+lab$/m);
    expect(st.stdout).toMatch(/^Config Version:\s+3$/m);
    const again = await pvecm(3, `add ${addr(1)} --link0 ${addr(3)} --use_ssh 1`);
    expect(again.stderr).toContain("* cluster config '/etc/pve/corosync.conf' already exists");
    expect(again.stderr).toContain('* corosync is already running, is this node already in a cluster?!');
  }, 300_000);

  it('an odd node count needs --force for a QDevice', async () => {
    const r = await pvecm(1, `qdevice setup ${addr(4)}`);
    expect(r.exitCode).toBe(255);
    expect(r.stderr).toContain('Clusters with an odd node count are not officially supported!');
  });

  it('a cut node: inquorate, /etc/pve read-only there, its pvecm refuses; qdevice setup needs all nodes online', async () => {
    await lab.cut(3);
    try {
      await waitFor('node3 inquorate', async () => !(await quorate(3)));
      await waitFor('/etc/pve read-only on node3', async () => !(await writable(3)));
      expect(await writable(1)).toBe(true);
      const del = await pvecm(3, 'delnode node1');
      expect(del.stderr).toContain('cluster not ready - no quorum?');
      await waitFor('node1 sees node3 gone', async () =>
        /Total votes:\s+2/.test((await lab.exec(1, 'corosync-quorumtool -s')).stdout),
      );
      const q = await pvecm(1, `qdevice setup ${addr(4)} --force`);
      expect(q.stderr).toContain('All nodes must be online! Node node3 is offline, aborting.');
    } finally {
      await lab.heal(3);
    }
    await waitFor('node3 writable again', () => writable(3));
  }, 180_000);

  it('pvecm delnode of a stopped node, then a 2-node QDevice: config_version bumped, Qdevice vote', async () => {
    await lab.exec(3, 'pve-standin-service stop corosync', { timeoutMs: 30_000 });
    expect((await pvecm(1, 'delnode node1')).stderr).toContain('Cannot delete myself from cluster!');
    expect((await pvecm(1, 'delnode nodeX')).stderr).toContain('Node/IP: nodeX is not a known host of the cluster.');
    const before = await version(1);
    const d = await pvecm(1, 'delnode node3');
    expect(d.exitCode, d.stderr).toBe(0);
    expect(await version(2)).toBe(before + 1);
    const q = await pvecm(1, `qdevice setup ${addr(4)}`, 240_000);
    expect(q.exitCode, `${q.stdout}\n${q.stderr}`).toBe(0);
    expect(q.stdout).toContain('INFO: add QDevice to cluster configuration');
    const conf = (await lab.exec(2, 'cat /etc/pve/corosync.conf')).stdout;
    expect(conf).toMatch(
      /device \{\n\s+model: net\n\s+net \{\n\s+algorithm: ffsplit\n\s+host: [\d.]+\n\s+tls: on\n\s+\}\n\s+votes: 1/,
    );
    await waitFor(
      'QDevice vote',
      async () => /Flags:\s+Quorate Qdevice/.test((await lab.exec(2, 'corosync-quorumtool -s')).stdout),
      90_000,
    );
    const again = await pvecm(1, `qdevice setup ${addr(4)}`);
    expect(again.stderr).toContain('QDevice already configured!');
  }, 400_000);
});
