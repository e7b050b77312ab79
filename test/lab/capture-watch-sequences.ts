/**
 * Records what every node's `corosync-quorumtool -s` says, polled every 200 ms as the node agent's
 * `quorum.watch` does, while real membership changes happen on a lab cluster of 4 nodes + a QDevice
 * (ffsplit, qnetd on a fifth host). Each sequence goes to test/engine/monitor/sequences/<case>.json;
 * the monitor's health tests replay them (test/engine/monitor/recorded-sequences.test.ts).
 * Run as root, through the lab slot: `/work/bin/labslot npx tsx test/lab/capture-watch-sequences.ts`.
 *
 * Cases: clean-stop (`corosync-cfgtool -H` on node4), rejoin (corosync started again there), cut-heal
 * (node4's link down, then up), qdevice-loss (the qnetd host cut, then back), partition (nodes 1+2 |
 * 3+4 by nftables: ffsplit gives the vote to one side), quorum-loss (nodes 2, 3, 4 cut, then healed),
 * restart (corosync on node4 restarted by hand: SIGTERM, started again at once) and restart-kill (the
 * same with SIGKILL, as a crash that systemd restarts: the others still list node4 in their ring while
 * it already reports a newer ring of its own).
 * Marks record when the test did something, so a replay can withhold a cut node's views the way an
 * SSH stream through the cut would.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { minimalCorosyncConf, startCorosync, stopCorosync } from './corosync';
import { labUp, type Lab } from './lab';

const OUT = fileURLToPath(new URL('../engine/monitor/sequences/', import.meta.url));
const CLUSTER = 'seq';
const NODES = [1, 2, 3, 4];
const QNETD = 5;
const POLL_MS = 200;

interface Sample {
  /** ms since the sequence started. */
  readonly t: number;
  readonly node: string;
  readonly exitCode: number;
  readonly stdout: string;
}

interface Mark {
  readonly t: number;
  /** cut | heal | stop | start | partition | join, and the nodes concerned. */
  readonly action: string;
  readonly nodes: readonly string[];
}

class Recorder {
  readonly samples: Sample[] = [];
  readonly marks: Mark[] = [];
  readonly #start = Date.now();
  readonly #last = new Map<string, string>();
  #stopped = false;
  readonly #loops: Promise<void>[];

  constructor(private readonly lab: Lab) {
    this.#loops = NODES.map((n) => this.#loop(n));
  }

  mark(action: string, nodes: number[]): void {
    this.marks.push({ t: Date.now() - this.#start, action, nodes: nodes.map((n) => this.lab.host(n).name) });
    console.log(`${Date.now() - this.#start} ms: ${action} ${nodes.join(',')}`);
  }

  /** The latest stdout of `node`. */
  latest(node: number): string {
    return this.#last.get(this.lab.host(node).name)?.split('\n').slice(1).join('\n') ?? '';
  }

  async #loop(n: number): Promise<void> {
    const name = this.lab.host(n).name;
    while (!this.#stopped) {
      const began = Date.now();
      const r = await this.lab.exec(n, 'corosync-quorumtool -s', { timeoutMs: 2000 });
      // A poll that timed out reports nothing new, as in the agent.
      if (r.exitCode !== 124) {
        const stdout = r.stdout.replace(/^Date:.*$/m, 'Date:             (removed)');
        const key = `${r.exitCode}\n${stdout}`;
        if (this.#last.get(name) !== key) {
          this.#last.set(name, key);
          this.samples.push({ t: Date.now() - this.#start, node: name, exitCode: r.exitCode ?? -1, stdout });
        }
      }
      await sleep(Math.max(0, POLL_MS - (Date.now() - began)));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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

async function waitFor(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) {
      return;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const nodesLine = (out: string): number => Number(/^Nodes:\s+(\d+)/m.exec(out)?.[1] ?? -1);
const quorate = (out: string): boolean => /^Quorate:\s+Yes/m.test(out);
const allVoting = (out: string): boolean => (out.match(/ A,V,/g) ?? []).length === nodesLine(out);

async function startQdevices(lab: Lab, hosts: number[]): Promise<void> {
  for (const h of hosts) {
    await lab.spawnDaemon(h, ['corosync-qdevice', '-f', '-d'], { logFile: '/var/log/corosync-qdevice.log' });
  }
}

async function setUp(lab: Lab): Promise<void> {
  await must(lab, QNETD, 'rm -rf /etc/corosync/qnetd && corosync-qnetd-certutil -i');
  for (const h of NODES) {
    await copy(lab, QNETD, '/etc/corosync/qnetd/nssdb/qnetd-cacert.crt', h, '/tmp/qnetd-cacert.crt');
    await must(lab, h, 'rm -rf /etc/corosync/qdevice && corosync-qdevice-net-certutil -i -c /tmp/qnetd-cacert.crt');
  }
  await must(lab, 1, `corosync-qdevice-net-certutil -r -n ${CLUSTER}`);
  await copy(lab, 1, '/etc/corosync/qdevice/net/nssdb/qdevice-net-node.crq', QNETD, '/tmp/qdevice-net-node.crq');
  await must(lab, QNETD, `corosync-qnetd-certutil -s -c /tmp/qdevice-net-node.crq -n ${CLUSTER}`);
  await copy(lab, QNETD, `/etc/corosync/qnetd/nssdb/cluster-${CLUSTER}.crt`, 1, `/tmp/cluster-${CLUSTER}.crt`);
  await must(lab, 1, `corosync-qdevice-net-certutil -M -c /tmp/cluster-${CLUSTER}.crt`);
  for (const h of NODES.slice(1)) {
    await copy(lab, 1, '/etc/corosync/qdevice/net/nssdb/qdevice-net-node.p12', h, '/tmp/qdevice-net-node.p12');
    await must(lab, h, 'corosync-qdevice-net-certutil -m -c /tmp/qdevice-net-node.p12');
  }
  await lab.spawnDaemon(QNETD, ['corosync-qnetd', '-f', '-d'], { logFile: '/var/log/corosync-qnetd.log' });
  const conf = minimalCorosyncConf(lab, NODES, {
    clusterName: CLUSTER,
    quorum: [
      'device {',
      '  model: net',
      '  votes: 1',
      '  net {',
      `    host: ${lab.host(QNETD).address}`,
      '    algorithm: ffsplit',
      '    tls: on',
      '  }',
      '}',
    ],
  });
  await startCorosync(lab, NODES, conf, { timeoutMs: 40_000 });
  await startQdevices(lab, NODES);
  await healthy(lab);
}

/** Every node quorate with all 4 members and every QDevice vote. */
async function healthy(lab: Lab): Promise<void> {
  for (const h of NODES) {
    await waitFor(`node${h} healthy`, 90_000, async () => {
      const out = (await lab.exec(h, 'corosync-quorumtool -s', { timeoutMs: 10_000 })).stdout;
      return quorate(out) && nodesLine(out) === 4 && allVoting(out) && /Total votes:\s+5/.test(out);
    });
  }
}

async function sequence(lab: Lab, name: string, describe: string, run: (r: Recorder) => Promise<void>): Promise<void> {
  const r = new Recorder(lab);
  await sleep(1000);
  try {
    await run(r);
    // Let every node settle in the recording.
    await sleep(3000);
  } finally {
    await r.stop();
  }
  mkdirSync(OUT, { recursive: true });
  const record = {
    description: describe,
    cluster: CLUSTER,
    nodes: NODES.map((n) => lab.host(n).name),
    qdevice: true,
    pollMs: POLL_MS,
    marks: r.marks,
    samples: r.samples,
  };
  writeFileSync(`${OUT}${name}.json`, `${JSON.stringify(record, null, 1)}\n`);
  console.log(`${name}: ${r.samples.length} samples`);
}

async function partitionRules(lab: Lab, host: number, peers: number[]): Promise<void> {
  const addrs = peers.map((p) => lab.host(p).address).join(', ');
  const ruleset = [
    'table inet quorate_seq {',
    `  chain input { type filter hook input priority 0; ip saddr { ${addrs} } udp dport 5405-5412 drop; }`,
    `  chain output { type filter hook output priority 0; ip daddr { ${addrs} } udp dport 5405-5412 drop; }`,
    '}',
  ].join('\n');
  await lab.exec(host, 'nft -f -', { stdin: `${ruleset}\n` });
}

const only = process.argv.slice(2);
const want = (name: string): boolean => only.length === 0 || only.includes(name);
const lab = await labUp({ hosts: 5 });
try {
  await setUp(lab);
  if (want('clean-stop')) {
    await sequence(lab, 'clean-stop', 'corosync-cfgtool -H on node4 of 4 nodes + QDevice', async (r) => {
      r.mark('stop', [4]);
      await lab.exec(4, 'corosync-cfgtool -H', { timeoutMs: 20_000 });
      await waitFor('3 members on node1', 30_000, () => nodesLine(r.latest(1)) === 3);
    });
    await sequence(lab, 'rejoin', 'corosync and its qdevice started again on node4', async (r) => {
      r.mark('start', [4]);
      await lab.spawnDaemon(4, ['corosync', '-f'], { logFile: '/var/log/corosync/corosync-f.log' });
      await waitFor('node4 answers', 30_000, () => r.latest(4) !== '' && nodesLine(r.latest(4)) > 0);
      await startQdevices(lab, [4]);
      await waitFor('4 voting members on node1', 60_000, () => nodesLine(r.latest(1)) === 4 && allVoting(r.latest(1)));
    });
    await healthy(lab);
  }
  if (want('cut-heal')) {
    await sequence(lab, 'cut-heal', 'node4 cut from the switch, then healed', async (r) => {
      r.mark('cut', [4]);
      await lab.cut(4);
      await waitFor('3 members on node1', 60_000, () => nodesLine(r.latest(1)) === 3);
      await waitFor('node4 inquorate', 60_000, () => r.latest(4) !== '' && !quorate(r.latest(4)));
      await sleep(2000);
      r.mark('heal', [4]);
      await lab.heal(4);
      await waitFor('node4 back', 60_000, () => nodesLine(r.latest(1)) === 4 && quorate(r.latest(4)));
      await waitFor('votes', 60_000, () => allVoting(r.latest(1)));
    });
    await healthy(lab);
  }
  if (want('qdevice-loss')) {
    await sequence(lab, 'qdevice-loss', 'the qnetd host cut, then healed', async (r) => {
      r.mark('cut', [QNETD]);
      await lab.cut(QNETD);
      await waitFor('vote lost', 90_000, () => / A,NV,/.test(r.latest(1)));
      await sleep(2000);
      r.mark('heal', [QNETD]);
      await lab.heal(QNETD);
      await waitFor('vote back', 90_000, () => allVoting(r.latest(1)) && allVoting(r.latest(4)));
    });
    await healthy(lab);
  }
  if (want('partition')) {
    await sequence(
      lab,
      'partition',
      'nodes 1+2 | 3+4 (UDP 5405-5412 dropped between them); ffsplit picks a side',
      async (r) => {
        r.mark('partition', [3, 4]);
        await partitionRules(lab, 3, [1, 2]);
        await partitionRules(lab, 4, [1, 2]);
        await waitFor('two sides', 90_000, () => nodesLine(r.latest(1)) === 2 && nodesLine(r.latest(3)) === 2);
        await waitFor('one quorate side', 90_000, () => quorate(r.latest(1)) !== quorate(r.latest(3)));
        await sleep(2000);
        r.mark('join', [3, 4]);
        await lab.exec(3, 'nft delete table inet quorate_seq');
        await lab.exec(4, 'nft delete table inet quorate_seq');
        await waitFor('merged', 90_000, () => nodesLine(r.latest(1)) === 4 && nodesLine(r.latest(3)) === 4);
        await waitFor('votes', 90_000, () => allVoting(r.latest(1)) && quorate(r.latest(3)));
      },
    );
    await healthy(lab);
  }
  if (want('quorum-loss')) {
    await sequence(
      lab,
      'quorum-loss',
      'nodes 2, 3 and 4 cut: node1 + QDevice hold 2 of 5 votes; then healed',
      async (r) => {
        r.mark('cut', [2, 3, 4]);
        for (const h of [2, 3, 4]) {
          await lab.cut(h);
        }
        await waitFor('node1 inquorate', 90_000, () => r.latest(1) !== '' && !quorate(r.latest(1)));
        await sleep(2000);
        r.mark('heal', [2, 3, 4]);
        for (const h of [2, 3, 4]) {
          await lab.heal(h);
        }
        await waitFor('quorate again', 90_000, () => quorate(r.latest(1)) && nodesLine(r.latest(1)) === 4);
        await waitFor('votes', 90_000, () => allVoting(r.latest(1)));
      },
    );
  }
  for (const [name, signal] of [
    ['restart', 'SIGTERM'],
    ['restart-kill', 'SIGKILL'],
  ] as const) {
    if (!want(name)) {
      continue;
    }
    // After quorum-loss (which does not wait for it) and the previous restart.
    await healthy(lab);
    await sequence(lab, name, `corosync on node4 restarted by hand (${signal}, then started at once)`, async (r) => {
      const daemon = (name: string) => lab.daemons(4).find((d) => d.argv[0]?.split('/').pop() === name);
      const corosync = daemon('corosync');
      if (!corosync) {
        throw new Error('no corosync on node4');
      }
      r.mark('restart', [4]);
      // As systemd does: corosync-qdevice is bound to corosync and goes (and comes back) with it.
      const qdevice = daemon('corosync-qdevice');
      if (qdevice) {
        await lab.killDaemon(qdevice.pid, { graceMs: 5000 });
      }
      await lab.killDaemon(corosync.pid, { signal, graceMs: 5000 });
      await lab.spawnDaemon(4, ['corosync', '-f'], { logFile: '/var/log/corosync/corosync-f.log' });
      await waitFor('node4 answers', 30_000, () => r.latest(4) !== '' && nodesLine(r.latest(4)) > 0);
      await startQdevices(lab, [4]);
      await waitFor('4 members on node1 and node4', 90_000, () => nodesLine(r.latest(1)) === 4 && quorate(r.latest(4)));
      await waitFor('votes', 90_000, () => allVoting(r.latest(1)) && allVoting(r.latest(4)));
    });
  }
  await stopCorosync(lab);
} finally {
  await lab.down();
}
