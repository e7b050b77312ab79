/**
 * The test lab: N real Linux hosts on one machine, as network namespaces behind a switch namespace,
 * each with its own mount/UTS/PID namespaces held by one anchor process, its own sshd, and corosync
 * binaries ready (shared/lab-notes.md has what is proven and the traps). Contract: /tmp/lab-api.md.
 *
 * Names: namespaces `ql<id>sw`, `ql<id>h<i>`; addresses 198.18.<id>.<i>/24; the root namespace
 * reaches them through `ql<id>r` (198.18.<id>.254). Everything started is recorded with its start
 * time in /run/quorate-lab/<id>/state.json, so `down()` — or `labDownStale()` after a crash —
 * removes exactly what the lab made.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import type { CommandOutput, CommandRunner, RunOptions } from '../../engine/ssh/runner';
import { err, ok, type Result } from '../../engine/result';
import { installPveStandin, pveStoreDir, type PveHostOptions } from './pve/install';
import {
  HOST_BINDS,
  HOST_OVERLAYS,
  anchorScript,
  etcHosts,
  fakeListTool,
  fakePveversion,
  fakePvecm,
  pctListOutput,
  qmListOutput,
  sshdConfig,
  type FakeGuest,
} from './host-files';
import {
  childrenOf,
  isAlive,
  killVerified,
  mustRoot,
  procRef,
  runRoot,
  signalVerified,
  sleep,
  waitGone,
  type ProcRef,
} from './proc';
import {
  LAB_RUN_DIR,
  claimLabId,
  listLabIds,
  readState,
  stateDir,
  writeState,
  type DaemonState,
  type HostState,
  type LabState,
} from './state.fs';

export type { CommandOutput, CommandRunner } from '../../engine/ssh/runner';

const MAX_HOSTS = 20;
const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const REQUIRED_TOOLS = [
  '/usr/sbin/ip',
  '/usr/bin/nsenter',
  '/usr/bin/unshare',
  '/usr/sbin/sshd',
  '/usr/bin/ssh-keygen',
  '/usr/sbin/corosync',
  '/usr/sbin/nft',
  '/usr/sbin/chpasswd',
];

/** Whether this machine can run the lab: root on Linux with ip, nsenter, unshare, sshd, corosync, nft. */
export function labSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') {
    return { ok: false, reason: `the lab needs Linux network namespaces (this is ${process.platform})` };
  }
  if (process.getuid?.() !== 0) {
    return { ok: false, reason: 'the lab needs root (run the lab tests with sudo)' };
  }
  for (const tool of REQUIRED_TOOLS) {
    try {
      accessSync(tool, constants.X_OK);
    } catch {
      return {
        ok: false,
        reason: `${tool} is missing (apt-get install iproute2 util-linux openssh-server corosync nftables passwd)`,
      };
    }
  }
  try {
    if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) {
      return { ok: false, reason: 'the kernel has no overlayfs' };
    }
  } catch {
    return { ok: false, reason: '/proc is not mounted' };
  }
  return { ok: true };
}

export interface LabOptions {
  /** 1..20 */
  hosts: number;
  /** Host indexes (1-based) that also get user `admin` (password; sudo with password; not root). */
  sudoUser?: number[];
  /**
   * Keep the lab when this process exits (the `npm run lab` CLI): `labDownStale` leaves it alone;
   * `npm run lab -- down` removes it.
   */
  persistent?: boolean;
  /**
   * Proxmox VE stand-in nodes (test/lab/pve/): `true` for every host, or host indexes. They get a
   * shared-capable /etc/pve, pvecm/qm/pct/pveversion and a pmxcfs stand-in over the real corosync.
   */
  pve?: true | number[];
  /** Per stand-in host: pveversion and guests. */
  pveHost?: (index: number) => PveHostOptions;
}

export interface LabHost {
  /** 1-based */
  index: number;
  /** Hostname as its shell sees it: node1, node2, … */
  name: string;
  /** 198.18.<id>.<index> */
  address: string;
  rootPassword: string;
  sudoUser?: { user: string; password: string };
  /** nsenter-based, as root inside the host; for test set-up/inspection only (product code goes through SSH). */
  runner: CommandRunner;
}

export interface ExecOptions {
  /** Killed (with its children, inside the host) after this many milliseconds: exit code 124. */
  timeoutMs?: number;
  stdin?: string | Uint8Array;
  /** Live output as it arrives. */
  onData?: (chunk: { stream: 'stdout' | 'stderr'; text: string }) => void;
  /** Abort: the nsenter process is killed (what it started inside the host may finish on its own). */
  signal?: AbortSignal;
}

export interface LabDaemon {
  readonly host: number;
  readonly pid: number;
  readonly argv: readonly string[];
}

export interface Lab {
  /** Subnet 198.18.<id>.0/24; the root namespace is 198.18.<id>.254. */
  id: number;
  hosts: LabHost[];
  /** The lab's own SSH key, authorized for root on every host. */
  sshKey: { privateKeyPath: string; privateKey: string; publicKey: string };
  /** The root namespace's address on the lab switch. */
  rootAddress: string;
  host(nameOrIndex: string | number): LabHost;
  /** Run `command` with bash as root inside the host (cwd /root). Resolves whatever the exit code; 124 when timeoutMs elapsed. */
  exec(host: string | number, command: string, opts?: ExecOptions): Promise<CommandOutput>;
  /** Its switch-side veth down: the host is cut from every other host and from the root namespace. */
  cut(host: string | number): Promise<void>;
  heal(host: string | number): Promise<void>;
  /** nft drop of UDP 5405-5412 (source or destination port) in and out, inside the host. */
  blockCorosyncPorts(host: string | number): Promise<void>;
  unblockCorosyncPorts(host: string | number): Promise<void>;
  /** libfaketime for everything started from its sshd from now on (sshd restarted); 0 restores the real clock. */
  skewClock(host: string | number, seconds: number): Promise<void>;
  /** pveversion, qm list, pct list, pvecm status/nodes (over the host's real corosync) in /usr/local/sbin. */
  fakeProxmox(host: string | number, opts: FakeProxmoxOptions): Promise<void>;
  /** New sshd host keys, sshd restarted. */
  regenerateHostKeys(host: string | number): Promise<void>;
  /** Start a long-running daemon inside the host; returns its PID as seen from the root namespace. */
  spawnDaemon(host: string | number, argv: string[], opts?: { logFile?: string }): Promise<number>;
  killDaemon(pid: number, opts?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<void>;
  /** Daemons started with spawnDaemon (sshd included) that are still running. */
  daemons(host?: string | number): LabDaemon[];
  /** Idempotent; removes namespaces, veths, mounts, processes, temp dirs. */
  down(): Promise<void>;
}

export type { FakeGuest };

export interface FakeProxmoxOptions {
  /** pve-manager version, e.g. `8.2.4`. */
  version: string;
  /** Running kernel shown by pveversion; default `6.8.8-2-pve`. */
  kernel?: string;
  guests?: FakeGuest[];
  /** Make the host look already clustered: written to /etc/pve/corosync.conf (as pmxcfs would show it). */
  pveCorosyncConf?: string;
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** libfaketimeMT.so.1 of this machine's architecture (Debian: package `libfaketime`). */
function findFaketimeLib(): string {
  for (const dir of readdirSync('/usr/lib')) {
    const p = `/usr/lib/${dir}/faketime/libfaketimeMT.so.1`;
    if (existsSync(p)) {
      return p;
    }
  }
  throw new Error('lab: skewClock needs libfaketime (apt-get install faketime)');
}

function names(id: number) {
  return {
    sw: `ql${id}sw`,
    host: (i: number) => `ql${id}h${i}`,
    rootVeth: `ql${id}r`,
    subnet: `198.18.${id}`,
  };
}

/** An id is taken when its namespaces or root veth linger, or any root interface already uses its /24. */
async function takenIds(): Promise<(id: number) => boolean> {
  const netns = (await runRoot(['ip', 'netns', 'list'])).stdout;
  const addrs = (await runRoot(['ip', '-4', '-o', 'addr', 'show'])).stdout;
  const links = (await runRoot(['ip', '-o', 'link', 'show'])).stdout;
  return (id) =>
    new RegExp(`^ql${id}(sw|h\\d+)\\b`, 'm').test(netns) ||
    addrs.includes(` 198.18.${id}.`) ||
    new RegExp(`: ql${id}r[@:]`).test(links);
}

/** Bring up `opts.hosts` hosts. On any failure everything made so far is removed and the error rethrown. */
export async function labUp(opts: LabOptions): Promise<Lab> {
  const support = labSupport();
  if (!support.ok) {
    throw new Error(`lab: ${support.reason}`);
  }
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > MAX_HOSTS) {
    throw new Error(`lab: hosts must be 1..${MAX_HOSTS}, got ${opts.hosts}`);
  }
  // Labs left by crashed runs would otherwise hold ids and memory forever.
  await labDownStale().catch(() => []);
  const id = claimLabId(await takenIds());
  const n = names(id);
  const dir = `/tmp/quorate-lab-${id}`;
  const owner = opts.persistent ? undefined : procRef(process.pid);
  const hosts: HostState[] = [];
  for (let i = 1; i <= opts.hosts; i++) {
    const sudo = opts.sudoUser?.includes(i)
      ? { user: 'admin', password: randomBytes(12).toString('base64url') }
      : undefined;
    hosts.push({
      index: i,
      name: `node${i}`,
      address: `${n.subnet}.${i}`,
      rootPassword: randomBytes(12).toString('base64url'),
      ...(sudo ? { sudoUser: sudo } : {}),
    });
  }
  const state: LabState = {
    id,
    ...(owner ? { owner } : {}),
    createdAt: new Date().toISOString(),
    dir,
    hosts,
    daemons: [],
  };
  writeState(state);
  const lab = new LabImpl(state);
  try {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(`${dir}/anchor.sh`, anchorScript(), { mode: 0o700 });
    await mustRoot([
      'ssh-keygen',
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      `quorate-lab-${id}`,
      '-f',
      lab.sshKey.privateKeyPath,
    ]);
    lab.loadKey();
    await createSwitch(id);
    await Promise.all(hosts.map((h) => prepareHost(state, h, lab.sshKey.publicKey)));
    for (const h of hosts) {
      await createHostNet(id, h.index);
    }
    await Promise.all(hosts.map((h) => lab.startAnchor(h)));
    await Promise.all(hosts.map((h) => lab.setupUsers(h)));
    await Promise.all(hosts.map((h) => lab.startSshd(h)));
    if (opts.pve) {
      await installPveStandin(lab, opts.pve === true ? hosts.map((h) => h.index) : opts.pve, opts.pveHost);
    }
    return lab;
  } catch (e) {
    await lab.down();
    throw e;
  }
}

async function createSwitch(id: number): Promise<void> {
  const n = names(id);
  await mustRoot(['ip', 'netns', 'add', n.sw]);
  await mustRoot(['ip', '-n', n.sw, 'link', 'set', 'lo', 'up']);
  await mustRoot(['ip', '-n', n.sw, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  await mustRoot(['ip', '-n', n.sw, 'link', 'set', 'br0', 'up']);
  await mustRoot(['ip', 'link', 'add', n.rootVeth, 'type', 'veth', 'peer', 'name', 'root', 'netns', n.sw]);
  await runRoot(['sysctl', '-qw', `net.ipv6.conf.${n.rootVeth}.disable_ipv6=1`]);
  await mustRoot(['ip', 'addr', 'add', `${n.subnet}.254/24`, 'dev', n.rootVeth]);
  await mustRoot(['ip', 'link', 'set', n.rootVeth, 'up']);
  await mustRoot(['ip', '-n', n.sw, 'link', 'set', 'root', 'master', 'br0', 'up']);
}

async function createHostNet(id: number, i: number): Promise<void> {
  const n = names(id);
  const ns = n.host(i);
  await mustRoot(['ip', 'netns', 'add', ns]);
  // No IPv6 on the wire (nothing may leave 198.18.0.0/15); lo keeps ::1.
  await mustRoot(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
  await mustRoot(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  await mustRoot(['ip', 'link', 'add', `h${i}`, 'netns', n.sw, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await mustRoot(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.eth0.disable_ipv6=1']);
  await mustRoot(['ip', '-n', n.sw, 'link', 'set', `h${i}`, 'master', 'br0', 'up']);
  await mustRoot(['ip', '-n', ns, 'addr', 'add', `${n.subnet}.${i}/24`, 'dev', 'eth0']);
  await mustRoot(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
}

/** Host dir: overlay upper layers pre-seeded with hostname, hosts, machine-id, sshd config and keys. */
async function prepareHost(state: LabState, h: HostState, labPublicKey: string): Promise<void> {
  const d = `${state.dir}/h${h.index}`;
  mkdirSync(d, { mode: 0o755 });
  for (const [, name] of HOST_OVERLAYS) {
    mkdirSync(`${d}/${name}.upper`, { mode: 0o755 });
    mkdirSync(`${d}/${name}.work`, { mode: 0o755 });
  }
  for (const [, source] of HOST_BINDS) {
    mkdirSync(`${d}/${source}`, { mode: 0o755 });
  }
  mkdirSync(`${d}/tmp`, { mode: 0o1777 });
  await mustRoot(['chmod', '1777', `${d}/tmp`]);
  await mustRoot(['chmod', '700', `${d}/root`]);
  mkdirSync(`${d}/etc-corosync/uidgid.d`);
  mkdirSync(`${d}/var-log/corosync`);
  // What Debian's pacemaker package leaves on a machine (the host's /var/log is private, so empty).
  mkdirSync(`${d}/var-log/pacemaker`);
  await runRoot(['chown', 'hacluster:haclient', `${d}/var-log/pacemaker`]);
  mkdirSync(`${d}/root/.ssh`, { mode: 0o700 });
  writeFileSync(`${d}/root/.ssh/authorized_keys`, labPublicKey, { mode: 0o600 });
  for (const f of ['.bashrc', '.profile']) {
    if (existsSync(`/etc/skel/${f}`)) {
      writeFileSync(`${d}/root/${f}`, readFileSync(`/etc/skel/${f}`));
    }
  }
  const etc = `${d}/etc.upper`;
  mkdirSync(`${etc}/ssh`, { mode: 0o755 });
  mkdirSync(`${etc}/pve`, { mode: 0o755 });
  writeFileSync(`${etc}/hostname`, `${h.name}\n`);
  writeFileSync(`${etc}/hosts`, etcHosts(h, state.hosts));
  writeFileSync(`${etc}/machine-id`, `${randomBytes(16).toString('hex')}\n`, { mode: 0o444 });
  writeFileSync(`${etc}/ssh/sshd_config`, sshdConfig());
  await Promise.all(
    ['ed25519', 'ecdsa'].map((t) =>
      mustRoot(['ssh-keygen', '-q', '-t', t, '-N', '', '-C', `root@${h.name}`, '-f', `${etc}/ssh/ssh_host_${t}_key`]),
    ),
  );
}

class LabImpl implements Lab {
  readonly id: number;
  readonly hosts: LabHost[];
  readonly rootAddress: string;
  sshKey: { privateKeyPath: string; privateKey: string; publicKey: string };
  #state: LabState;
  #down = false;

  constructor(state: LabState) {
    this.#state = state;
    this.id = state.id;
    this.rootAddress = `${names(state.id).subnet}.254`;
    this.sshKey = { privateKeyPath: `${stateDir(state.id)}/id_ed25519`, privateKey: '', publicKey: '' };
    this.hosts = state.hosts.map((h) => ({
      index: h.index,
      name: h.name,
      address: h.address,
      rootPassword: h.rootPassword,
      ...(h.sudoUser ? { sudoUser: h.sudoUser } : {}),
      runner: this.#runner(h),
    }));
    if (existsSync(this.sshKey.privateKeyPath)) {
      this.loadKey();
    }
  }

  loadKey(): void {
    this.sshKey = {
      privateKeyPath: this.sshKey.privateKeyPath,
      privateKey: readFileSync(this.sshKey.privateKeyPath, 'utf8'),
      publicKey: readFileSync(`${this.sshKey.privateKeyPath}.pub`, 'utf8'),
    };
  }

  #save(): void {
    if (!this.#down) {
      writeState(this.#state);
    }
  }

  #hostState(ref: string | number): HostState {
    const h =
      typeof ref === 'number'
        ? this.#state.hosts.find((x) => x.index === ref)
        : this.#state.hosts.find((x) => x.name === ref || x.address === ref || String(x.index) === ref);
    if (!h) {
      throw new Error(
        `lab ${this.id}: no host ${JSON.stringify(ref)} (hosts: ${this.#state.hosts.map((x) => x.name).join(', ')})`,
      );
    }
    return h;
  }

  host(ref: string | number): LabHost {
    const h = this.#hostState(ref);
    return this.hosts[h.index - 1] as LabHost;
  }

  #anchor(h: HostState): ProcRef {
    if (!h.anchor || !isAlive(h.anchor)) {
      throw new Error(`lab ${this.id}: ${h.name} is not running (its anchor process is gone)`);
    }
    return h.anchor;
  }

  #nsenter(h: HostState): string[] {
    return ['nsenter', '-t', String(this.#anchor(h).pid), '-m', '-n', '-u', '-p', '--wd=/root', '--'];
  }

  async startAnchor(h: HostState): Promise<void> {
    const n = names(this.id);
    const log = `${this.#state.dir}/h${h.index}.anchor.log`;
    const fd = openSync(log, 'w');
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        n.host(h.index),
        'unshare',
        '-m',
        '-u',
        '-p',
        '--fork',
        '--kill-child',
        '--mount-proc',
        '--propagation',
        'private',
        '--',
        '/bin/bash',
        `${this.#state.dir}/anchor.sh`,
        `${this.#state.dir}/h${h.index}`,
        h.name,
      ],
      { detached: true, stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    child.unref();
    const pid = child.pid;
    if (pid === undefined) {
      throw new Error(`lab ${this.id}: could not start the anchor of ${h.name}`);
    }
    const unshare = procRef(pid);
    if (unshare) {
      h.unshare = unshare;
    }
    this.#save();
    const until = Date.now() + 10_000;
    for (;;) {
      const text = readFileSync(log, 'utf8');
      if (text.includes('ready')) {
        break;
      }
      if (!unshare || !isAlive(unshare) || Date.now() > until) {
        throw new Error(`lab ${this.id}: ${h.name} did not come up: ${text.trim() || 'no output'}`);
      }
      await sleep(20);
    }
    const anchorPid = childrenOf(pid)[0];
    const anchor = anchorPid === undefined ? undefined : procRef(anchorPid);
    if (!anchor) {
      throw new Error(`lab ${this.id}: ${h.name}: anchor process not found under unshare ${pid}`);
    }
    h.anchor = anchor;
    this.#save();
  }

  async setupUsers(h: HostState): Promise<void> {
    let script = 'set -e\n';
    let input = `root:${h.rootPassword}\n`;
    if (h.sudoUser) {
      script += `useradd -m -s /bin/bash -G sudo ${h.sudoUser.user}\n`;
      input += `${h.sudoUser.user}:${h.sudoUser.password}\n`;
    }
    script += 'chpasswd\n';
    const r = await this.exec(h.index, script, { stdin: input, timeoutMs: 20_000 });
    if (r.exitCode !== 0) {
      throw new Error(`lab ${this.id}: ${h.name}: setting passwords failed: ${r.stderr.trim()}`);
    }
  }

  async startSshd(h: HostState): Promise<void> {
    const pid = await this.spawnDaemon(h.index, ['/usr/sbin/sshd', '-D', '-e', '-f', '/etc/ssh/sshd_config'], {
      logFile: '/var/log/sshd.log',
    });
    const d = this.#state.daemons.find((x) => x.pid === pid);
    if (d) {
      h.sshd = { pid: d.pid, start: d.start };
    }
    this.#save();
    await this.#waitSshBanner(h);
  }

  async #restartSshd(h: HostState): Promise<void> {
    if (h.sshd) {
      await this.killDaemon(h.sshd.pid);
    }
    delete h.sshd;
    await this.startSshd(h);
  }

  /** Until sshd answers with its banner on <address>:22 from the root namespace. */
  async #waitSshBanner(h: HostState): Promise<void> {
    const until = Date.now() + 10_000;
    let last = '';
    while (Date.now() < until) {
      const banner = await new Promise<string>((resolve) => {
        const sock = connect({ host: h.address, port: 22, timeout: 1000 });
        let data = '';
        sock.on('data', (b) => {
          data += b.toString();
          if (data.includes('\n')) {
            sock.destroy();
            resolve(data);
          }
        });
        sock.on('error', (e) => resolve(`error: ${e.message}`));
        sock.on('timeout', () => {
          sock.destroy();
          resolve('error: timeout');
        });
        sock.on('close', () => resolve(data));
      });
      if (banner.startsWith('SSH-2.0-')) {
        return;
      }
      last = banner;
      await sleep(30);
    }
    const log = await this.exec(h.index, 'tail -n 20 /var/log/sshd.log 2>/dev/null').catch(() => undefined);
    throw new Error(
      `lab ${this.id}: sshd on ${h.name} (${h.address}:22) does not answer (${last}); log: ${log?.stdout ?? ''}`,
    );
  }

  exec(ref: string | number, command: string, opts: ExecOptions = {}): Promise<CommandOutput> {
    const h = this.#hostState(ref);
    const timeoutS = opts.timeoutMs !== undefined ? Math.max(0.1, opts.timeoutMs / 1000) : undefined;
    // `timeout` runs inside the host, so a timed-out command dies with its children (the nsenter
    // outside the host could not take them with it).
    const argv = [
      ...this.#nsenter(h),
      ...(timeoutS !== undefined ? ['timeout', '-k', '2', String(timeoutS)] : []),
      '/bin/bash',
      '-c',
      command,
    ];
    return new Promise((resolve, reject) => {
      const [file, ...args] = argv;
      const child = spawn(file as string, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: {
          PATH: HOST_PATH,
          HOME: '/root',
          USER: 'root',
          LOGNAME: 'root',
          SHELL: '/bin/bash',
          LANG: 'C.UTF-8',
          TERM: 'dumb',
        },
      });
      const out: Buffer[] = [];
      const errb: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => {
        out.push(b);
        opts.onData?.({ stream: 'stdout', text: b.toString() });
      });
      child.stderr.on('data', (b: Buffer) => {
        errb.push(b);
        opts.onData?.({ stream: 'stderr', text: b.toString() });
      });
      const onAbort = () => child.kill('SIGKILL');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.stdin ?? '');
      const backstop =
        timeoutS !== undefined ? setTimeout(() => child.kill('SIGKILL'), (timeoutS + 5) * 1000) : undefined;
      child.on('error', (e) => {
        if (backstop) {
          clearTimeout(backstop);
        }
        reject(e);
      });
      child.on('close', (code, signal) => {
        if (backstop) {
          clearTimeout(backstop);
        }
        opts.signal?.removeEventListener('abort', onAbort);
        resolve({
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(errb).toString(),
          exitCode: code,
          signal,
        });
      });
    });
  }

  #runner(h: HostState): CommandRunner {
    const label = `${h.name} (${h.address}, lab ${this.id})`;
    return {
      label,
      run: async (command: string, options: RunOptions = {}): Promise<Result<CommandOutput>> => {
        try {
          const out = await this.exec(h.index, command, {
            ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
            ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
            ...(options.progress ? { onData: options.progress } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
          });
          return ok(out);
        } catch (e) {
          return err(
            'lab.exec-failed',
            `could not run a command in lab host ${label}`,
            'Is the lab still up? (`npm run lab -- status`)',
            e,
          );
        }
      },
      upload: async (remotePath: string, data: string | Uint8Array, mode = 0o644): Promise<Result<void>> => {
        const p = shQuote(remotePath);
        const cmd = `set -e; t=$(mktemp "$(dirname ${p})/.upload.XXXXXX"); cat > "$t"; chmod ${mode.toString(8)} "$t"; mv -f "$t" ${p}`;
        try {
          const out = await this.exec(h.index, cmd, { stdin: data });
          if (out.exitCode === 0) {
            return ok(undefined);
          }
          return err(
            'lab.upload-failed',
            `could not write ${remotePath} on lab host ${label}`,
            'Check that the directory exists.',
            out.stderr.trim(),
          );
        } catch (e) {
          return err(
            'lab.exec-failed',
            `could not write ${remotePath} on lab host ${label}`,
            'Is the lab still up?',
            e,
          );
        }
      },
      close: async () => undefined,
    };
  }

  async #must(ref: string | number, command: string, what: string, stdin?: string): Promise<string> {
    const r = await this.exec(ref, command, { timeoutMs: 30_000, ...(stdin !== undefined ? { stdin } : {}) });
    if (r.exitCode !== 0) {
      throw new Error(
        `lab ${this.id}: ${this.host(ref).name}: ${what} failed (exit ${r.exitCode}): ${r.stderr.trim()}`,
      );
    }
    return r.stdout;
  }

  async cut(ref: string | number): Promise<void> {
    const h = this.#hostState(ref);
    await mustRoot(['ip', '-n', names(this.id).sw, 'link', 'set', `h${h.index}`, 'down']);
  }

  async heal(ref: string | number): Promise<void> {
    const h = this.#hostState(ref);
    await mustRoot(['ip', '-n', names(this.id).sw, 'link', 'set', `h${h.index}`, 'up']);
  }

  async blockCorosyncPorts(ref: string | number): Promise<void> {
    const ruleset = [
      'table inet quorate_lab {',
      '  chain input { type filter hook input priority 0; udp dport 5405-5412 drop; udp sport 5405-5412 drop; }',
      '  chain output { type filter hook output priority 0; udp dport 5405-5412 drop; udp sport 5405-5412 drop; }',
      '}',
    ].join('\n');
    await this.unblockCorosyncPorts(ref);
    await this.#must(ref, 'nft -f -', 'nft (block UDP 5405-5412)', ruleset + '\n');
  }

  async unblockCorosyncPorts(ref: string | number): Promise<void> {
    await this.#must(ref, 'nft delete table inet quorate_lab 2>/dev/null || true', 'nft (unblock)');
  }

  async skewClock(ref: string | number, seconds: number): Promise<void> {
    if (!Number.isFinite(seconds)) {
      throw new Error(`lab: skew must be a finite number of seconds, got ${seconds}`);
    }
    const h = this.#hostState(ref);
    const faketimeLib = seconds === 0 ? undefined : findFaketimeLib();
    h.skewSeconds = seconds;
    this.#save();
    await this.#must(
      h.index,
      'cat > /etc/ssh/sshd_config',
      'writing sshd_config',
      sshdConfig({ skewSeconds: seconds, ...(faketimeLib ? { faketimeLib } : {}) }),
    );
    await this.#restartSshd(h);
  }

  async fakeProxmox(ref: string | number, opts: FakeProxmoxOptions): Promise<void> {
    const guests = opts.guests ?? [];
    const files: [string, string][] = [
      ['pveversion', fakePveversion(opts.version, opts.kernel)],
      ['qm', fakeListTool('qm', qmListOutput(guests))],
      ['pct', fakeListTool('pct', pctListOutput(guests))],
      ['pvecm', fakePvecm()],
    ];
    const runner = this.host(ref).runner;
    for (const [name, text] of files) {
      const r = await runner.upload(`/usr/local/sbin/${name}`, text, 0o755);
      if (!r.ok) {
        throw new Error(`lab ${this.id}: fakeProxmox: ${r.error.message}: ${r.error.cause ?? ''}`);
      }
    }
    if (opts.pveCorosyncConf !== undefined) {
      const r = await runner.upload('/etc/pve/corosync.conf', opts.pveCorosyncConf, 0o640);
      if (!r.ok) {
        throw new Error(`lab ${this.id}: fakeProxmox: ${r.error.message}: ${r.error.cause ?? ''}`);
      }
    }
  }

  async regenerateHostKeys(ref: string | number): Promise<void> {
    const h = this.#hostState(ref);
    await this.#must(
      h.index,
      [
        'set -e',
        'rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub',
        `ssh-keygen -q -t ed25519 -N '' -C root@${h.name} -f /etc/ssh/ssh_host_ed25519_key`,
        `ssh-keygen -q -t ecdsa -N '' -C root@${h.name} -f /etc/ssh/ssh_host_ecdsa_key`,
      ].join('\n'),
      'ssh-keygen',
    );
    await this.#restartSshd(h);
  }

  async spawnDaemon(ref: string | number, argv: string[], opts: { logFile?: string } = {}): Promise<number> {
    const h = this.#hostState(ref);
    if (argv.length === 0) {
      throw new Error('lab: spawnDaemon needs a command');
    }
    const log = opts.logFile ?? '/dev/null';
    const child = spawn(
      this.#nsenter(h)[0] as string,
      [
        ...this.#nsenter(h).slice(1),
        '/bin/sh',
        '-c',
        'exec "$@" </dev/null >>"$QUORATE_LAB_LOG" 2>&1',
        'daemon',
        ...argv,
      ],
      {
        detached: true,
        stdio: 'ignore',
        env: { PATH: HOST_PATH, HOME: '/root', LANG: 'C.UTF-8', QUORATE_LAB_LOG: log },
      },
    );
    child.unref();
    const nsPid = child.pid;
    if (nsPid === undefined) {
      throw new Error(`lab ${this.id}: ${h.name}: could not start ${argv[0]}`);
    }
    const nsenter = procRef(nsPid);
    const until = Date.now() + 5000;
    let daemonPid: number | undefined;
    while (Date.now() < until) {
      daemonPid = childrenOf(nsPid)[0];
      if (daemonPid !== undefined) {
        break;
      }
      if (!nsenter || !isAlive(nsenter)) {
        break;
      }
      await sleep(10);
    }
    const ref2 = daemonPid === undefined ? undefined : procRef(daemonPid);
    if (!ref2) {
      const tail =
        log === '/dev/null' ? '' : (await this.exec(h.index, `tail -n 20 ${shQuote(log)} 2>/dev/null`)).stdout;
      throw new Error(`lab ${this.id}: ${h.name}: ${argv.join(' ')} exited at once. ${tail}`);
    }
    const d: DaemonState = { pid: ref2.pid, start: ref2.start, host: h.index, argv, ...(nsenter ? { nsenter } : {}) };
    this.#state.daemons.push(d);
    this.#save();
    return d.pid;
  }

  async killDaemon(pid: number, opts: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<void> {
    const d = this.#state.daemons.find((x) => x.pid === pid);
    // Already stopped (e.g. by stopCorosync), or never ours: nothing to signal.
    if (!d) {
      return;
    }
    if (opts.signal && opts.signal !== 'SIGTERM') {
      signalVerified(d, opts.signal);
      await waitGone([d], opts.graceMs ?? 3000);
      if (isAlive(d)) {
        signalVerified(d, 'SIGKILL');
      }
    } else {
      await killVerified(d, opts.graceMs ?? 3000);
    }
    if (d.nsenter) {
      await waitGone([d.nsenter], 1000);
    }
    this.#state.daemons = this.#state.daemons.filter((x) => x !== d);
    this.#save();
  }

  daemons(ref?: string | number): LabDaemon[] {
    const host = ref === undefined ? undefined : this.#hostState(ref).index;
    return this.#state.daemons
      .filter((d) => (host === undefined || d.host === host) && isAlive(d))
      .map((d) => ({ host: d.host, pid: d.pid, argv: d.argv }));
  }

  async down(): Promise<void> {
    if (this.#down) {
      return;
    }
    this.#down = true;
    await teardown(this.#state);
  }
}

/** Remove everything a lab recorded: processes (by PID + start time), namespaces, veth, dirs. */
async function teardown(state: LabState): Promise<void> {
  const n = names(state.id);
  const procs: ProcRef[] = [];
  for (const d of state.daemons ?? []) {
    signalVerified(d, 'SIGKILL');
    procs.push(d);
  }
  // Killing PID 1 of a host's PID namespace kills everything in it.
  for (const h of state.hosts ?? []) {
    for (const p of [h.anchor, h.unshare]) {
      if (p && signalVerified(p, 'SIGKILL')) {
        procs.push(p);
      }
    }
  }
  await waitGone(procs, 5000);
  for (const d of state.daemons ?? []) {
    if (d.nsenter) {
      await waitGone([d.nsenter], 1000);
    }
  }
  const netns = (await runRoot(['ip', 'netns', 'list'])).stdout;
  for (const line of netns.split('\n')) {
    const name = line.split(' ')[0];
    if (name && new RegExp(`^ql${state.id}(sw|h\\d+)$`).test(name)) {
      await runRoot(['ip', 'netns', 'delete', name]);
    }
  }
  await runRoot(['ip', 'link', 'delete', n.rootVeth]);
  if (state.dir && state.dir.startsWith('/tmp/quorate-lab-')) {
    rmSync(state.dir, { recursive: true, force: true });
  }
  // The Proxmox stand-in's /etc/pve store (its bind mounts died with the hosts' namespaces).
  rmSync(pveStoreDir(state.id), { recursive: true, force: true });
  rmSync(stateDir(state.id), { recursive: true, force: true });
}

/** The lab with this id, rebuilt from its state.json (for the CLI and for tests that outlive their process). */
export function labAttach(id: number): Lab {
  const state = readState(id);
  if (!state) {
    throw new Error(`lab: no lab ${id} (${LAB_RUN_DIR}/${id}/state.json)`);
  }
  return new LabImpl(state);
}

export interface LabListing {
  readonly id: number;
  readonly persistent: boolean;
  readonly ownerAlive: boolean;
  readonly hosts: readonly { name: string; address: string; up: boolean }[];
}

/** Every lab on this machine, as recorded under /run/quorate-lab. */
export function labList(): LabListing[] {
  return listLabIds().map((id) => {
    const s = readState(id);
    return {
      id,
      persistent: s !== undefined && s.owner === undefined,
      ownerAlive: s?.owner !== undefined && isAlive(s.owner),
      hosts: (s?.hosts ?? []).map((h) => ({
        name: h.name,
        address: h.address,
        up: h.anchor !== undefined && isAlive(h.anchor),
      })),
    };
  });
}

/** Tear down one lab by id (whoever owns it). */
export async function labDownId(id: number): Promise<void> {
  const state = readState(id) ?? { id, createdAt: '', dir: `/tmp/quorate-lab-${id}`, hosts: [], daemons: [] };
  await teardown(state);
}

/**
 * Tear down labs whose owner process is dead (a crashed test run), and namespaces named like a lab
 * that no state records. Labs made by the CLI (`persistent`) stay. Returns what was removed.
 */
export async function labDownStale(): Promise<string[]> {
  const removed: string[] = [];
  const known = new Set<number>();
  for (const id of listLabIds()) {
    const s = readState(id);
    known.add(id);
    if (s && (s.owner === undefined || isAlive(s.owner))) {
      continue;
    }
    // A directory without state.json younger than a minute may be a lab being claimed right now.
    if (!s) {
      const age = Date.now() - (statMtime(stateDir(id)) ?? 0);
      if (age < 60_000) {
        continue;
      }
    }
    await labDownId(id);
    removed.push(`lab ${id}`);
  }
  const netns = (await runRoot(['ip', 'netns', 'list'])).stdout;
  const orphanIds = new Set<number>();
  for (const line of netns.split('\n')) {
    const m = /^ql(\d+)(sw|h\d+)\b/.exec(line);
    if (m && !known.has(Number(m[1]))) {
      orphanIds.add(Number(m[1]));
    }
  }
  for (const id of orphanIds) {
    await labDownId(id);
    removed.push(`lab ${id} (namespaces without state)`);
  }
  return removed;
}

function statMtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}
