/**
 * `pvecm qdevice setup ADDR [--force]` and `pvecm qdevice remove` of the stand-in, after
 * PVE::CLI::pvecm setup_qdevice / remove_qdevice: the real certificate flow over SSH (qnetd host
 * and every member), the quorum.device section pvecm writes (tls on; votes 1 only for ffsplit; lms
 * with --force on an odd node count), config_version bumped, qdevice started on every node, then
 * `corosync-cfgtool -R`. Files are copied with ssh + cat where pvecm uses scp (same effect).
 */
import { existsSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { atomicWriteConf, readClusterConf, type Args } from './pvecm';
import { nodelist, type ConfSection } from './pve-conf';
import { syncCorosyncConf } from './pmxcfs';
import { PVE, checkConfExists, corosyncState, die, mustRun, resolveHost, run, service, ssh, writeAtomic } from './sys';

interface Member {
  name: string;
  nodeid: number;
  online: boolean;
  ip: string | undefined;
}

/** PVE::Cluster::get_members: the nodelist with corosync's view of who is online. */
export function members(): Member[] {
  const state = corosyncState();
  return Object.entries(nodelist(readClusterConf()))
    .map(([name, n]) => {
      const addr = String(n.ring0_addr ?? '');
      return {
        name,
        nodeid: Number(n.nodeid),
        online: state.members.includes(Number(n.nodeid)),
        ip: /^[0-9.]+$/.test(addr) || addr.includes(':') ? addr : resolveHost(addr),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function assertAllOnline(all: Member[]): void {
  for (const m of all) {
    if (!m.online) {
      die(`All nodes must be online! Node ${m.name} is offline, aborting.\n`);
    }
  }
}

function forEachMember(all: Member[], code: (m: Member & { ip: string }) => void): void {
  for (const m of all) {
    if (!m.ip) {
      die(`cannot get the cluster IP for node '${m.name}'.\n`);
    }
    code({ ...m, ip: m.ip });
  }
}

const BASE = '/etc/corosync/qdevice/net';
const DB_NODE = `${BASE}/nssdb`;
const DB_QNETD = '/etc/corosync/qnetd/nssdb';

function fetchFrom(address: string, remote: string, local: string): void {
  const r = run(['ssh', '-o', 'BatchMode=yes', '-lroot', address, '--', 'base64', '-w0', remote]);
  if (r.code !== 0) {
    die(`command 'scp -o BatchMode=yes root@[${address}]:${remote} ${local}' failed: exit code 1\n`);
  }
  writeAtomic(local, Buffer.from(r.stdout.trim(), 'base64'), 0o644);
}

function sendTo(address: string, local: string, remote: string): void {
  const r = run(['ssh', '-o', 'BatchMode=yes', '-lroot', address, '--', `base64 -d > ${remote}`], {
    input: readFileSync(local).toString('base64'),
  });
  if (r.code !== 0) {
    die(`command 'scp -o BatchMode=yes ${local} root@[${address}]:${remote}' failed: exit code 1\n`);
  }
}

export function qdeviceSetup(args: Args): void {
  const qnetd = args.positional[0] ?? die('400 not enough arguments\npvecm qdevice setup <address> [OPTIONS]\n');
  if (!/^[0-9.]+$/.test(qnetd) && !qnetd.includes(':')) {
    die(`400 Parameter verification failed.\naddress: value does not look like a valid IP address\n`);
  }
  const force = args.options.force === '1';
  checkConfExists();
  const all = members();
  assertAllOnline(all);
  const conf = readClusterConf();
  const quorum = (conf.main.quorum as ConfSection | undefined) ?? {};
  if (quorum.device !== undefined && !force) {
    die('QDevice already configured!\n');
  }
  let algorithm = 'ffsplit';
  if (all.length % 2 === 1) {
    if (force) {
      algorithm = 'lms';
    } else {
      die('Clusters with an odd node count are not officially supported!\n');
    }
  }
  const clustername = String((conf.main.totem as ConfSection).cluster_name);
  // ssh-copy-id: the lab pre-authorizes the root keys (a real node would ask for the password here).
  if (ssh(qnetd, ['true']).code !== 0) {
    die(`command 'ssh-copy-id -i /root/.ssh/id_rsa root@${qnetd}' failed: exit code 1\n`);
  }
  if (existsSync(DB_NODE)) {
    if (force) {
      rmSync(DB_NODE, { recursive: true, force: true });
    } else {
      die('QDevice certificate store already initialised, set force to delete!\n');
    }
  }
  const out = (s: string): void => void process.stdout.write(s);
  out('\nINFO: initializing qnetd server\n');
  ssh(qnetd, ['corosync-qnetd-certutil', '-i'], { inherit: true });

  out('\nINFO: copying CA cert and initializing on all nodes\n');
  fetchFrom(qnetd, `${DB_QNETD}/qnetd-cacert.crt`, `${PVE}/qnetd-cacert.crt`);
  forEachMember(all, (m) => {
    const r = ssh(m.ip, ['corosync-qdevice-net-certutil', '-i', '-c', `${PVE}/qnetd-cacert.crt`]);
    out(`\nnode '${m.name}': ${r.stdout}`);
  });
  unlinkSync(`${PVE}/qnetd-cacert.crt`);

  out('\nINFO: generating cert request\n');
  mustRun(['corosync-qdevice-net-certutil', '-r', '-n', clustername], { inherit: true });

  out('\nINFO: copying exported cert request to qnetd server\n');
  sendTo(qnetd, `${DB_NODE}/qdevice-net-node.crq`, '/tmp/qdevice-net-node.crq');

  out('\nINFO: sign and export cluster cert\n');
  const signed = ssh(qnetd, ['corosync-qnetd-certutil', '-s', '-c', '/tmp/qdevice-net-node.crq', '-n', clustername], {
    inherit: true,
  });
  if (signed.code !== 0) {
    die(
      `command 'ssh -o BatchMode=yes -lroot ${qnetd} corosync-qnetd-certutil -s -c /tmp/qdevice-net-node.crq -n ${clustername}' failed: exit code ${signed.code}\n`,
    );
  }

  out('\nINFO: copy exported CRT\n');
  fetchFrom(qnetd, `${DB_QNETD}/cluster-${clustername}.crt`, `${DB_NODE}/cluster-${clustername}.crt`);

  out('\nINFO: import certificate\n');
  mustRun(['corosync-qdevice-net-certutil', '-M', '-c', `${DB_NODE}/cluster-${clustername}.crt`], { inherit: true });

  out('\nINFO: copy and import pk12 cert to all nodes\n');
  writeAtomic(`${PVE}/qdevice-net-node.p12`, readFileSync(`${DB_NODE}/qdevice-net-node.p12`), 0o600);
  forEachMember(all, (m) => {
    const r = ssh(m.ip, ['corosync-qdevice-net-certutil', '-m', '-c', `${PVE}/qdevice-net-node.p12`]);
    out(`\nnode '${m.name}': ${r.stdout}`);
    if (r.code !== 0) {
      die(`command 'corosync-qdevice-net-certutil -m -c ${PVE}/qdevice-net-node.p12' failed: exit code ${r.code}\n`);
    }
  });
  unlinkSync(`${PVE}/qdevice-net-node.p12`);

  out('\nINFO: add QDevice to cluster configuration\n');
  const fresh = readClusterConf();
  const q = (fresh.main.quorum as ConfSection | undefined) ?? {};
  if (q.device !== undefined) {
    die('Qdevice already configured, must be removed before setting up new one!\n');
  }
  const device: ConfSection = { model: 'net', net: { tls: 'on', host: qnetd, algorithm } };
  if (algorithm === 'ffsplit') {
    device.votes = '1';
  }
  q.device = device;
  fresh.main.quorum = q;
  atomicWriteConf(fresh);
  // pvecm relies on pmxcfs writing /etc/corosync/corosync.conf and reloading on every node before
  // the qdevice daemons start (corosync-qdevice exits at once without quorum.device in cmap): the
  // stand-in does that sync on each member now instead of racing its pmxcfs loop.
  forEachMember(all, (m) => {
    ssh(m.ip, ['pve-standin-service', 'sync-conf']);
  });
  syncCorosyncConf(false);
  run(['corosync-cfgtool', '-R']);

  forEachMember(all, (m) => {
    out(`\nINFO: start and enable corosync qdevice daemon on node '${m.name}'...\n`);
    const r = ssh(m.ip, ['pve-standin-service', 'start', 'corosync-qdevice']);
    if (r.code !== 0) {
      die(`command 'systemctl start corosync-qdevice' failed: exit code ${r.code}\n${r.stderr}`);
    }
  });
  run(['corosync-cfgtool', '-R']);
}

export function qdeviceRemove(): void {
  checkConfExists();
  const all = members();
  assertAllOnline(all);
  const conf = readClusterConf();
  const q = (conf.main.quorum as ConfSection | undefined) ?? {};
  if (q.device === undefined) {
    die('No QDevice configured!\n');
  }
  delete q.device;
  atomicWriteConf(conf);
  forEachMember(all, (m) => {
    ssh(m.ip, ['rm', '-rf', '/etc/corosync/qdevice']);
  });
  forEachMember(all, (m) => {
    ssh(m.ip, ['pve-standin-service', 'stop', 'corosync-qdevice']);
  });
  run(['corosync-cfgtool', '-R']);
  process.stdout.write('\nRemoved Qdevice.\n');
}

/** `pve-standin-service start|stop|restart NAME`: what pvecm runs as systemctl over SSH. */
export function serviceCommand(argv: string[]): number {
  const [action, name] = argv;
  if (action === 'sync-conf') {
    syncCorosyncConf(false);
    return 0;
  }
  if (
    (action !== 'start' && action !== 'stop' && action !== 'restart') ||
    (name !== 'corosync' && name !== 'corosync-qdevice')
  ) {
    process.stderr.write('usage: pve-standin-service start|stop|restart corosync|corosync-qdevice\n');
    return 2;
  }
  const r = service(action, name);
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r.code;
}
