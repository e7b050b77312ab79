/**
 * `pvecm` of the Proxmox VE stand-in, after PVE::CLI::pvecm, PVE::API2::ClusterConfig and
 * PVE::Cluster::Setup (pve-cluster): same checks in the same order, same messages, exit 255 on
 * `die` (PVE::CLIHandler). Each function names the pve-cluster function it follows; the README
 * ("Proxmox VE stand-in") lists them. Joins go over SSH (`--use_ssh`), as Quorate runs them.
 * qdevice setup/remove live in pvecm-qdevice.ts.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { syncCorosyncConf } from './pmxcfs';
import {
  bumpConfigVersion,
  createConf,
  MAX_LINK_INDEX,
  nodeLinks,
  nodelist,
  parseLinkArg,
  parsePveConf,
  setNodelist,
  totem,
  verifyConf,
  writePveConf,
  type LinkArg,
  type PveConf,
} from './pve-conf';
import {
  AUTHKEY,
  CLUSTER_CONF,
  HOST_CONF,
  PVE,
  STORE_MARKER,
  checkCfsQuorum,
  checkConfExists,
  cfsQuorate,
  corosyncRunning,
  die,
  localAddresses,
  mustRun,
  nodename,
  readText,
  resolveHost,
  run,
  service,
  sleepMs,
  ssh,
  writeAtomic,
} from './sys';

/** JOIN_API_VERSION of pve-cluster 8/9. */
const JOIN_API_VERSION = 1;

export type Args = { positional: string[]; options: Record<string, string> };

const BOOLEAN = new Set(['force', 'use_ssh', 'silent', 'unmerge-known-hosts']);

/** PVE::CLIHandler option parsing, as far as pvecm needs it: `--key value`, booleans may stand alone. */
export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const options: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const key = a.slice(2);
    const next = argv[i + 1];
    if (BOOLEAN.has(key) && (next === undefined || !/^(0|1|yes|no|true|false|on|off)$/i.test(next))) {
      options[key] = '1';
      continue;
    }
    if (next === undefined) {
      die(`400 Parameter verification failed.\n${key}: missing value\n`);
    }
    options[key] = next;
    i++;
  }
  return { positional, options };
}

const truthy = (v: string | undefined): boolean => v !== undefined && /^(1|yes|true|on)$/i.test(v);

function integer(args: Args, key: string, min: number): number | undefined {
  const v = args.options[key];
  if (v === undefined) {
    return undefined;
  }
  if (!/^-?\d+$/.test(v)) {
    die(`400 Parameter verification failed.\n${key}: type check ('integer') failed - got '${v}'\n`);
  }
  if (Number(v) < min) {
    die(`400 Parameter verification failed.\n${key}: value must have a minimum value of ${min}\n`);
  }
  return Number(v);
}

/** extract_corosync_link_args. */
function linkArgs(args: Args): Record<number, LinkArg> {
  const links: Record<number, LinkArg> = {};
  for (let l = 0; l <= MAX_LINK_INDEX; l++) {
    const v = args.options[`link${l}`];
    if (v) {
      links[l] = parseLinkArg(v);
    }
  }
  return links;
}

export function readClusterConf(): PveConf {
  return parsePveConf(readText(CLUSTER_CONF) ?? '');
}

/** atomic_write_conf: config_version + 1, written to corosync.conf.new, renamed over corosync.conf. */
export function atomicWriteConf(conf: PveConf): void {
  bumpConfigVersion(conf);
  try {
    writeAtomic(`${PVE}/corosync.conf.new`, writePveConf(conf), 0o640);
  } catch (e) {
    die(`activating corosync.conf.new failed - ${(e as Error).message}\n`);
  }
  run(['mv', '-f', `${PVE}/corosync.conf.new`, CLUSTER_CONF]);
}

/** PVE::Cluster::Setup::gen_local_dirs. */
function genLocalDirs(name: string): void {
  for (const d of [
    'nodes',
    `nodes/${name}`,
    `nodes/${name}/qemu-server`,
    `nodes/${name}/lxc`,
    `nodes/${name}/priv`,
    'priv',
  ]) {
    mkdirSync(`${PVE}/${d}`, { recursive: true });
  }
}

/** ssh_merge_keys: this node's root key into the cluster's priv/authorized_keys. */
function sshMergeKeys(): void {
  const pub = readText('/root/.ssh/id_rsa.pub');
  const file = `${PVE}/priv/authorized_keys`;
  const have = readText(file) ?? '';
  if (pub && !have.includes(pub.trim())) {
    writeAtomic(file, `${have}${have === '' || have.endsWith('\n') ? '' : '\n'}${pub.trim()}\n`, 0o600);
  }
}

/** PVE::API2::ClusterConfig::create. */
export function create(args: Args): void {
  const name = args.positional[0];
  if (name === undefined) {
    die('400 not enough arguments\npvecm create <clustername> [OPTIONS]\n');
  }
  if (!/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(name)) {
    die(
      `400 Parameter verification failed.\nclustername: invalid format - value does not look like a valid node name\n`,
    );
  }
  if (name.length > 15) {
    die('400 Parameter verification failed.\nclustername: value may only be 15 characters long\n');
  }
  const nodeid = integer(args, 'nodeid', 1);
  const votes = integer(args, 'votes', 1);
  const tokenCoefficient = integer(args, 'token-coefficient', 0) ?? 125;
  if (existsSync(CLUSTER_CONF)) {
    die(`cluster config '${CLUSTER_CONF}' already exists\n`);
  }
  if (!existsSync(AUTHKEY)) {
    mustRun(['/usr/sbin/corosync-keygen', '-lk', AUTHKEY]);
  }
  const me = nodename();
  const links = linkArgs(args);
  if (Object.keys(links).length === 0) {
    const ip = resolveHost(me) ?? die(`unable to resolve node name '${me}'\n`);
    links[0] = { address: ip };
  }
  const conf = createConf(me, name, links, {
    ...(nodeid !== undefined ? { nodeid } : {}),
    ...(votes !== undefined ? { votes } : {}),
    tokenCoefficient,
  });
  process.stdout.write('Writing corosync config to /etc/pve/corosync.conf\n');
  atomicWriteConf(conf);
  genLocalDirs(me);
  sshMergeKeys();
  process.stdout.write('Restart corosync and cluster filesystem\n');
  syncCorosyncConf(false);
  const r = service('restart', 'corosync');
  if (r.code !== 0) {
    die(`command 'systemctl restart corosync pve-cluster' failed: exit code 1\n${r.stderr}`);
  }
}

/** PVE::Cluster::get_vmlist: every guest config in the cluster file system. */
export function guestIds(): string[] {
  const ids: string[] = [];
  const nodesDir = `${PVE}/nodes`;
  for (const n of existsSync(nodesDir) ? readdirSync(nodesDir) : []) {
    for (const kind of ['qemu-server', 'lxc']) {
      const d = `${nodesDir}/${n}/${kind}`;
      for (const f of existsSync(d) ? readdirSync(d) : []) {
        if (/^\d+\.conf$/.test(f)) {
          ids.push(f.replace('.conf', ''));
        }
      }
    }
  }
  return ids;
}

/** PVE::Cluster::Setup::assert_joinable. */
export function assertJoinable(localAddr: string | undefined, links: Record<number, LinkArg>, force: boolean): void {
  let errors = '';
  const error = (m: string): void => {
    errors += `* ${m}\n`;
  };
  if (existsSync(AUTHKEY)) {
    error(`authentication key '${AUTHKEY}' already exists`);
  }
  if (existsSync(CLUSTER_CONF)) {
    error(`cluster config '${CLUSTER_CONF}' already exists`);
  }
  if (guestIds().length > 0) {
    error('this host already contains virtual guests');
  }
  if (corosyncRunning()) {
    error('corosync is already running, is this node already in a cluster?!');
  }
  const mine = localAddresses();
  const checkIp = (value: string | undefined, logid: string): void => {
    if (value === undefined) {
      return;
    }
    let ip = value;
    if (!/^[0-9.]+$/.test(value) && !value.includes(':')) {
      const resolved = resolveHost(value);
      if (!resolved) {
        error(
          `${logid}: cannot use '${value}': hostname lookup '${value}' failed - failed to get address info for: ${value}: Name or service not known\n`,
        );
        return;
      }
      ip = resolved;
    }
    if (!mine.includes(ip)) {
      error(`${logid}: cannot use IP '${ip}', not found on local node!\n`);
    }
  };
  checkIp(localAddr, 'local node address');
  for (const [l, link] of Object.entries(links)) {
    checkIp(link.address, `link${l}`);
  }
  if (errors) {
    process.stderr.write(`detected the following error(s):\n${errors}`);
    if (!force) {
      die('Check if node may join a cluster failed!\n');
    }
    process.stderr.write('\nWARNING : detected error but forced to continue!\n\n');
  }
}

/** PVE::CLI::pvecm::add (the `use_ssh` path) and PVE::Cluster::Setup::finish_join. */
export function add(args: Args): void {
  if (/^\/etc\/pve(\/.*)?$/.test(process.cwd())) {
    die("Navigate out of /etc/pve before running 'pvecm add', for example by running 'cd'.\n");
  }
  const host = args.positional[0] ?? die('400 not enough arguments\npvecm add <hostname> [OPTIONS]\n');
  if (!truthy(args.options.use_ssh)) {
    // The API join reads the root password from the terminal (PVE::PTY::read_password).
    die(`Please enter superuser (root) password for '${host}': the Quorate lab stand-in joins only with --use_ssh\n`);
  }
  const me = nodename();
  const localIp = resolveHost(me);
  const links = linkArgs(args);
  assertJoinable(localIp, links, truthy(args.options.force));
  if (ssh(host, ['true']).code !== 0) {
    die('unable to copy ssh ID: exit code 1\n');
  }
  const apiver = Number(ssh(host, ['pvecm', 'apiver']).stdout.trim() || '0');
  if (apiver < JOIN_API_VERSION - 1) {
    die(
      `error: incompatible join API version on cluster (${apiver}), local node has ${JOIN_API_VERSION} and supports >= ${JOIN_API_VERSION - 1}. Make sureall cluster nodes are up-to-date.\n`,
    );
  }
  const cmd = ['pvecm', 'addnode', me, '--force', '1'];
  if (args.options.nodeid) {
    cmd.push('--nodeid', args.options.nodeid);
  }
  if (args.options.votes !== undefined) {
    cmd.push('--votes', args.options.votes);
  }
  for (const [l, link] of Object.entries(links)) {
    cmd.push(`--link${l}`, link.address);
  }
  if (Object.keys(links).length === 0) {
    if (localIp === undefined) {
      die(`unable to resolve node name '${me}'\n`);
    }
    // pvecm add passes no --apiversion: addnode sees 0 and may take a single link as the fallback IP.
    cmd.push(apiver >= 1 ? '--new_node_ip' : '--link0', localIp);
    process.stdout.write(`No cluster network links passed explicitly, fallback to local node IP '${localIp}'\n`);
  }
  if (ssh(host, cmd, { inherit: true }).code !== 0) {
    die(`unable to add node: command failed (ssh ${host} -o BatchMode=yes ${cmd.join(' ')})\n`);
  }
  process.stdout.write('copy corosync auth key\n');
  const key = run(['ssh', '-o', 'BatchMode=yes', '-lroot', host, '--', 'base64', '-w0', AUTHKEY]);
  const conf = ssh(host, ['cat', CLUSTER_CONF]);
  const store = ssh(host, ['cat', STORE_MARKER]);
  if (key.code !== 0 || conf.code !== 0 || store.code !== 0) {
    die(`can't rsync data from host '${host}'\n`);
  }
  finishJoin(me, conf.stdout, Buffer.from(key.stdout.trim(), 'base64'), store.stdout.trim());
}

/** PVE::Cluster::Setup::finish_join: the local /etc/pve is replaced by the cluster's (pmxcfs drops its db). */
function finishJoin(me: string, corosyncConf: string, authkey: Buffer, clusterStore: string): void {
  writeAtomic(AUTHKEY, authkey, 0o400);
  writeAtomic(HOST_CONF, corosyncConf, 0o644);
  process.stdout.write('stopping pve-cluster service\n');
  // pmxcfs starts again without quorum (read-only) until corosync reports it: the wait below is then
  // for this node's real quorum, as on Proxmox, and not for a fresh mount that was never read-only.
  const swapped = run([
    'sh',
    '-c',
    `umount ${PVE} && mount --bind '${clusterStore}' ${PVE} && mount -o remount,bind,ro ${PVE}`,
  ]);
  if (swapped.code !== 0) {
    die(`starting pve-cluster failed: ${swapped.stderr}`);
  }
  const started = service('start', 'corosync');
  if (started.code !== 0) {
    die(
      `starting pve-cluster failed: command 'systemctl start corosync pve-cluster' failed: exit code 1\n${started.stderr}`,
    );
  }
  let printed = false;
  while (!cfsQuorate()) {
    if (!printed) {
      process.stdout.write('waiting for quorum...');
      printed = true;
    }
    sleepMs(1000);
  }
  if (printed) {
    process.stdout.write('OK\n');
  }
  genLocalDirs(me);
  sshMergeKeys();
  process.stdout.write('generated new node certificate, restart pveproxy and pvedaemon services\n');
  process.stdout.write(`successfully added node '${me}' to cluster.\n`);
}

/** PVE::API2::ClusterConfig::addnode (run on a member, over SSH by `pvecm add`). */
export function addnode(args: Args): void {
  const name = args.positional[0] ?? die('400 not enough arguments\npvecm addnode <node> [OPTIONS]\n');
  const apiversion = integer(args, 'apiversion', 0) ?? 0;
  if (apiversion < JOIN_API_VERSION - 1) {
    die(
      `error: unsupported old API version on joining node (${apiversion}), cluster node has ${JOIN_API_VERSION} and supports >= ${JOIN_API_VERSION - 1}. Please upgrade node before joining\n`,
    );
  }
  checkCfsQuorum();
  const conf = readClusterConf();
  const nodes = nodelist(conf);
  const { errors, warnings } = verifyConf(conf);
  if (errors.length > 0) {
    die(`invalid corosync.conf\n${[...warnings.map((w) => `* ${w}`), ...errors.map((e) => `! ${e}`)].join('\n')}\n`);
  }
  const links = linkArgs(args);
  for (const link of Object.values(links)) {
    for (const [k, v] of Object.entries(nodes)) {
      if (k === name) {
        continue;
      }
      for (const [l, addr] of Object.entries(nodeLinks(v))) {
        if (addr === link.address) {
          die(`corosync: address '${link.address}' already used on link ring${l}_addr by node '${k}'\n`);
        }
      }
    }
  }
  const first = Object.values(nodes)[0] ?? {};
  const clusterLinks = nodeLinks(first);
  let newNodeIp = args.options.new_node_ip;
  let legacy = false;
  if (!newNodeIp && Object.keys(links).length === 1 && apiversion === 0) {
    const only = Number(Object.keys(links)[0]);
    newNodeIp = links[only]!.address;
    delete links[only];
    legacy = true;
  }
  if (Object.keys(links).length > 0) {
    for (let l = 0; l <= MAX_LINK_INDEX; l++) {
      const inCluster = clusterLinks[l] !== undefined;
      const given = links[l] !== undefined;
      if (inCluster && !given) {
        die(`corosync: link ${l} exists in cluster config but wasn't specified for new node\n`);
      }
      if (!inCluster && given) {
        die(`corosync: link ${l} specified for new node doesn't exist in cluster config\n`);
      }
    }
  } else {
    if (!newNodeIp) {
      die('no links and no fallback ip (new_node_ip) given, cannot join cluster\n');
    }
    const count = Object.keys(clusterLinks).length;
    if (count === 1) {
      links[Number(Object.keys(clusterLinks)[0])] = { address: newNodeIp };
    } else if (legacy) {
      die(`cluster has ${count} links, but only 1 given`);
    } else {
      die('no links given but multiple links found on other nodes, fallback only supported on single-link clusters\n');
    }
  }
  let nodeid = integer(args, 'nodeid', 1);
  let votes = integer(args, 'votes', 0);
  const existing = nodes[name];
  if (existing) {
    nodeid ??= Number(existing.nodeid);
    votes ??= Number(existing.quorum_votes);
    if (Number(existing.quorum_votes) === votes && Number(existing.nodeid) === nodeid && truthy(args.options.force)) {
      process.stdout.write(`forcing overwrite of configured node '${name}'\n`);
    } else {
      die(`can't add existing node '${name}'\n`);
    }
  } else if (nodeid === undefined) {
    const used = new Set(Object.values(nodes).map((n) => Number(n.nodeid)));
    nodeid = 1;
    while (used.has(nodeid)) {
      nodeid++;
    }
  }
  votes ??= 1;
  genLocalDirs(name);
  const entry: Record<string, string> = { nodeid: String(nodeid), name };
  if (votes) {
    entry.quorum_votes = String(votes);
  }
  for (const [l, link] of Object.entries(links)) {
    entry[`ring${l}_addr`] = link.address;
  }
  nodes[name] = entry;
  setNodelist(conf, nodes);
  atomicWriteConf(conf);
  for (const w of warnings) {
    process.stderr.write(`cluster: ${w}\n`);
  }
}

/** PVE::API2::ClusterConfig::delnode. */
export function delnode(args: Args): void {
  const target = args.positional[0] ?? die('400 not enough arguments\npvecm delnode <node>\n');
  if (target === nodename()) {
    die('Cannot delete myself from cluster!\n');
  }
  checkCfsQuorum();
  const conf = readClusterConf();
  const nodes = nodelist(conf);
  const found = Object.entries(nodes).find(
    ([k, d]) => k === target || d.ring0_addr === target || d.ring1_addr === target,
  );
  if (!found) {
    die(`Node/IP: ${target} is not a known host of the cluster.\n`);
  }
  delete nodes[found[0]];
  // "allowed to fail when node is already shut down!"
  if (found[1].nodeid !== undefined) {
    run(['corosync-cfgtool', '-k', String(found[1].nodeid)]);
  }
  setNodelist(conf, nodes);
  atomicWriteConf(conf);
}

/** pvecm status: the totem summary of /etc/pve/corosync.conf, then `corosync-quorumtool -siH`. */
export function status(): never {
  checkConfExists();
  let t: Record<string, unknown> = {};
  try {
    t = totem(readClusterConf());
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
  }
  if (Object.keys(t).length > 0) {
    const line = (label: string, key: string, dflt: string): string =>
      `${`${label}:`.padEnd(17)} ${String(t[key] ?? dflt)}\n`;
    process.stdout.write(
      `Cluster information\n-------------------\n${line('Name', 'cluster_name', 'UNKOWN?')}${line('Config Version', 'config_version', '-1')}${line('Transport', 'transport', 'knet')}${line('Secure auth', 'secauth', 'off')}\n`,
    );
  }
  return execInto(['corosync-quorumtool', '-siH']);
}

export function nodes(): never {
  checkConfExists();
  return execInto(['corosync-quorumtool', '-l']);
}

export function expected(args: Args): never {
  const v = args.positional[0] ?? die('400 not enough arguments\npvecm expected <expected>\n');
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    die(`400 Parameter verification failed.\nexpected: value must have a minimum value of 1\n`);
  }
  checkConfExists();
  return execInto(['corosync-quorumtool', '-e', v]);
}

/** `exec` as Perl does it: the tool's output and exit code become pvecm's. */
function execInto(argv: string[]): never {
  const r = run(argv, { inherit: true, timeoutMs: 60_000 });
  process.exit(r.code);
}

/** pvecm updatecerts: wait for quorum (80 s, like run_fork_with_timeout), then the node files. */
export function updatecerts(args: Args): void {
  const silent = truthy(args.options.silent);
  for (let i = 0; !cfsQuorate(); i++) {
    if (i >= 800) {
      const msg =
        'got timeout when trying to ensure cluster certificates and base file hierarchy is set up - no quorum (yet) or hung pmxcfs?\n';
      if (!silent) {
        die(msg);
      }
      process.stderr.write(msg);
      return;
    }
    if (!silent && i % 50 === 0) {
      process.stdout.write('waiting for pmxcfs mount to appear and get quorate...\n');
    }
    sleepMs(100);
  }
  const say = (m: string): void => {
    if (!silent) {
      process.stdout.write(`${m}\n`);
    }
  };
  say('(re)generate node files');
  if (truthy(args.options.force)) {
    say('generate new node certificate');
  }
  genLocalDirs(nodename());
  say('merge authorized SSH keys');
  sshMergeKeys();
}
