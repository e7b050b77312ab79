/**
 * The votequorum model against real corosync 3 (Debian package) in lab hosts: for each scenario,
 * start a cluster, wait until it is quorate, split it with nftables drops (or start only some
 * nodes), wait until `corosync-quorumtool -s` has settled on every node, and assert that every node
 * prints exactly what `evaluatePartitions` predicts for its group (quorate, total votes, expected
 * votes, quorum). Hosts 1..5 run corosync; host 6 runs corosync-qnetd for the QDevice scenario.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  effectiveVotequorum,
  evaluatePartitions,
  nodeId,
  type PartitionInput,
  type PartitionVerdict,
  type QdeviceConfig,
  type VotequorumConfig,
} from '../../../engine/model';
import { parseQuorumtoolStatus } from '../../../engine/corosync/tool-quorumtool';
import { startCorosync } from '../../lab/corosync';
import { labSupport, labUp, type Lab } from '../../lab/lab';

const support = labSupport();
if (!support.ok) {
  console.log(`votequorum-real.lab: skipped — ${support.reason}`);
}

const CLUSTER_HOSTS = 5;
const QNETD_HOST = 6;
// Short timeouts keep the run quick (token_coefficient 0: no +650 ms per node above 2); the
// arithmetic does not depend on them.
const TOKEN_MS = 1000;
const QDEVICE_TIMEOUT_MS = 4000;
const QDEVICE_SYNC_TIMEOUT_MS = 6000;

interface QuorumToolView {
  nodes: number;
  quorate: boolean;
  expectedVotes: number;
  totalVotes: number;
  quorum: number;
  flags: string;
}

/** The fields this test compares, through the product's own `corosync-quorumtool -s` parser. */
function parseQuorumTool(text: string): QuorumToolView | undefined {
  const parsed = parseQuorumtoolStatus(text);
  if (!parsed.ok || !parsed.value.votequorum) {
    return undefined;
  }
  const { nodes, quorate, votequorum: vq } = parsed.value;
  return {
    nodes,
    quorate,
    expectedVotes: vq.expectedVotes,
    totalVotes: vq.totalVotes,
    quorum: vq.quorum,
    flags: vq.flags.join(' '),
  };
}

const name = (i: number): string => `node${i}`;

function config(count: number, extra: Partial<VotequorumConfig> = {}, votes: number[] = []): VotequorumConfig {
  return {
    nodes: Array.from({ length: count }, (_, i) => ({
      name: name(i + 1),
      nodeid: nodeId(i + 1),
      votes: votes[i] ?? 1,
    })),
    twoNode: false,
    lastManStanding: false,
    lastManStandingWindowMs: 10_000,
    autoTieBreaker: false,
    autoTieBreakerNode: 'lowest',
    ...extra,
  };
}

/** corosync.conf for a model config, written by hand (knet, crypto off). */
function confText(lab: Lab, cfg: VotequorumConfig): string {
  const q: string[] = ['  provider: corosync_votequorum'];
  if (cfg.twoNode) {
    q.push('  two_node: 1');
  }
  if (cfg.waitForAll !== undefined) {
    q.push(`  wait_for_all: ${cfg.waitForAll ? 1 : 0}`);
  }
  if (cfg.expectedVotes !== undefined) {
    q.push(`  expected_votes: ${cfg.expectedVotes}`);
  }
  if (cfg.lastManStanding) {
    q.push('  last_man_standing: 1', `  last_man_standing_window: ${cfg.lastManStandingWindowMs}`);
  }
  if (cfg.autoTieBreaker) {
    q.push('  auto_tie_breaker: 1');
    const atb = cfg.autoTieBreakerNode;
    q.push(`  auto_tie_breaker_node: ${typeof atb === 'string' ? atb : atb.join(' ')}`);
  }
  if (cfg.qdevice) {
    const d = cfg.qdevice;
    q.push(
      '  device {',
      '    model: net',
      `    timeout: ${QDEVICE_TIMEOUT_MS}`,
      `    sync_timeout: ${QDEVICE_SYNC_TIMEOUT_MS}`,
    );
    if (d.votes !== undefined) {
      q.push(`    votes: ${d.votes}`);
    }
    q.push(
      '    net {',
      `      host: ${d.host}`,
      `      algorithm: ${d.algorithm}`,
      `      tie_breaker: ${d.tieBreaker}`,
      '      tls: off',
      '    }',
      '  }',
    );
  }
  const nodes = cfg.nodes.map((n) =>
    [
      '  node {',
      `    name: ${n.name}`,
      `    nodeid: ${n.nodeid}`,
      `    quorum_votes: ${n.votes}`,
      `    ring0_addr: ${lab.host(n.nodeid).address}`,
      '  }',
    ].join('\n'),
  );
  return [
    'totem {',
    '  version: 2',
    '  cluster_name: qmlab',
    '  transport: knet',
    '  crypto_cipher: none',
    '  crypto_hash: none',
    `  token: ${TOKEN_MS}`,
    '  token_coefficient: 0',
    '}',
    'logging {',
    '  to_stderr: yes',
    '  to_syslog: no',
    '  timestamp: on',
    '}',
    'quorum {',
    ...q,
    '}',
    'nodelist {',
    ...nodes,
    '}',
    '',
  ].join('\n');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Cluster {
  readonly corosync = new Map<number, number>();
  readonly qdevices = new Map<number, number>();
  qnetd: number | undefined;
  readonly splitHosts = new Set<number>();

  constructor(readonly lab: Lab) {}

  /** Write corosync.conf on the given hosts and start corosync there (stopping anything running first). */
  async start(cfg: VotequorumConfig, hosts: number[]): Promise<void> {
    await this.stop();
    for (const [h, pid] of await startCorosync(this.lab, hosts, confText(this.lab, cfg))) {
      this.corosync.set(h, pid);
    }
  }

  async startQdevice(hosts: number[]): Promise<void> {
    if (this.qnetd === undefined) {
      await this.lab.exec(QNETD_HOST, 'mkdir -p /run/corosync-qnetd', { timeoutMs: 5000 });
      this.qnetd = await this.lab.spawnDaemon(QNETD_HOST, ['corosync-qnetd', '-f', '-s', 'off'], {
        logFile: '/var/log/qnetd-lab.log',
      });
    }
    for (const h of hosts) {
      await this.lab.exec(h, 'mkdir -p /run/corosync-qdevice', { timeoutMs: 5000 });
      this.qdevices.set(
        h,
        await this.lab.spawnDaemon(h, ['corosync-qdevice', '-f'], { logFile: '/var/log/qdevice-lab.log' }),
      );
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.qdevices.values()].map((pid) => this.lab.killDaemon(pid).catch(() => undefined)));
    this.qdevices.clear();
    await Promise.all([...this.corosync.values()].map((pid) => this.lab.killDaemon(pid).catch(() => undefined)));
    this.corosync.clear();
    await this.unsplit();
  }

  async stopQnetd(): Promise<void> {
    if (this.qnetd !== undefined) {
      await this.lab.killDaemon(this.qnetd).catch(() => undefined);
    }
    this.qnetd = undefined;
  }

  /**
   * Split the running hosts into groups with nftables drops inside each host: a host keeps talking
   * to its own group only; a group with `reachesQnetd: false` also loses the qnetd host.
   */
  async split(groups: number[][], reachesQnetd: boolean[] = groups.map(() => true)): Promise<void> {
    const all = groups.flat();
    for (const [g, group] of groups.entries()) {
      for (const h of group) {
        const blocked = all.filter((x) => !group.includes(x)).map((x) => this.lab.host(x).address);
        if (reachesQnetd[g] === false) {
          blocked.push(this.lab.host(QNETD_HOST).address);
        }
        if (blocked.length === 0) {
          continue;
        }
        const set = blocked.join(', ');
        const rules = [
          'table inet quorate_split {',
          `  chain in { type filter hook input priority 0; ip saddr { ${set} } drop; }`,
          `  chain out { type filter hook output priority 0; ip daddr { ${set} } drop; }`,
          '}',
          '',
        ].join('\n');
        const r = await this.lab.exec(h, 'nft -f -', { stdin: rules, timeoutMs: 10_000 });
        if (r.exitCode !== 0) {
          throw new Error(`node${h}: nft failed: ${r.stderr}`);
        }
        this.splitHosts.add(h);
      }
    }
  }

  async unsplit(): Promise<void> {
    for (const h of this.splitHosts) {
      await this.lab.exec(h, 'nft delete table inet quorate_split 2>/dev/null; true', { timeoutMs: 10_000 });
    }
    this.splitHosts.clear();
  }

  async view(h: number): Promise<QuorumToolView | undefined> {
    const r = await this.lab.exec(h, 'corosync-quorumtool -s', { timeoutMs: 8000 });
    return parseQuorumTool(r.stdout);
  }

  /**
   * Poll every host until each sees `sizes[h]` members and its figures have not changed for
   * `stableMs`; returns the settled views. Never compares with the model while waiting.
   */
  async settle(
    sizes: Map<number, number>,
    opts: { stableMs: number; deadlineMs: number },
  ): Promise<Map<number, QuorumToolView>> {
    const until = Date.now() + opts.deadlineMs;
    let last = new Map<number, string>();
    let since = Date.now();
    for (;;) {
      const now = new Map<number, string>();
      const views = new Map<number, QuorumToolView>();
      let membershipDone = true;
      const polled = await Promise.all([...sizes].map(async ([h, size]) => [h, size, await this.view(h)] as const));
      for (const [h, size, v] of polled) {
        now.set(h, JSON.stringify(v ?? null));
        if (v) {
          views.set(h, v);
        }
        if (!v || v.nodes !== size) {
          membershipDone = false;
        }
      }
      const same = [...now].every(([h, s]) => last.get(h) === s);
      if (!membershipDone || !same) {
        since = Date.now();
      }
      last = now;
      if (membershipDone && Date.now() - since >= opts.stableMs) {
        return views;
      }
      if (Date.now() > until) {
        throw new Error(
          `corosync did not settle within ${opts.deadlineMs} ms: ${JSON.stringify(Object.fromEntries(now))}`,
        );
      }
      await sleep(300);
    }
  }
}

interface Scenario {
  cfg: VotequorumConfig;
  /** Hosts that get corosync (default: every node of cfg). */
  started?: number[];
  /** Groups after the split (by host index); default: no split. */
  groups?: number[][];
  reachesQnetd?: boolean[];
  qdevice?: boolean;
  stableMs?: number;
}

/** Run one scenario on a fresh cluster and compare every node with the model; returns a printable summary. */
async function check(cluster: Cluster, s: Scenario): Promise<string> {
  const started = s.started ?? s.cfg.nodes.map((n) => n.nodeid as number);
  await cluster.start(s.cfg, started);
  // Before the split: the started nodes form one membership (quorate or not, e.g. wait_for_all).
  const before = new Map(started.map((h) => [h, started.length]));
  await cluster.settle(before, { stableMs: 800, deadlineMs: 60_000 });
  if (s.qdevice) {
    // corosync-qdevice exits at once when corosync is not ready: start it only now.
    await cluster.startQdevice(started);
    await cluster.settle(before, { stableMs: 5000, deadlineMs: 60_000 });
  }
  const groups = s.groups ?? [started];
  if (s.groups) {
    await cluster.split(groups, s.reachesQnetd);
  }
  const sizes = new Map(groups.flatMap((g) => g.map((h) => [h, g.length] as const)));
  const stableMs = s.stableMs ?? (s.qdevice ? 12_000 : 2500);
  const views = await cluster.settle(sizes, { stableMs, deadlineMs: stableMs + 60_000 });

  const input: PartitionInput = {
    ...(s.started ? { up: started.map(name) } : {}),
    groups: groups.map((g) => g.map(name)),
    ...(s.reachesQnetd ? { qdeviceReachable: s.reachesQnetd } : {}),
  };
  const verdicts = evaluatePartitions(s.cfg, input);
  const lines: string[] = [];
  const mismatches: string[] = [];
  groups.forEach((g, i) => {
    const want: PartitionVerdict = verdicts[i]!;
    for (const h of g) {
      const v = views.get(h)!;
      const real = { quorate: v.quorate, votes: v.totalVotes, expectedVotes: v.expectedVotes, quorum: v.quorum };
      const model = {
        quorate: want.quorate,
        votes: want.votes,
        expectedVotes: want.expectedVotes,
        quorum: want.quorum,
      };
      lines.push(`  node${h} [${g.join(',')}] real ${JSON.stringify(real)} flags "${v.flags}" | model: ${want.reason}`);
      if (JSON.stringify(real) !== JSON.stringify(model)) {
        mismatches.push(`node${h}: real ${JSON.stringify(real)} ≠ model ${JSON.stringify(model)}`);
      }
    }
  });
  const summary = lines.join('\n');
  console.log(summary);
  expect(mismatches, summary).toEqual([]);
  return summary;
}

describe.skipIf(!support.ok)('votequorum model against real corosync', () => {
  let lab: Lab | undefined;
  let cluster: Cluster;

  beforeAll(async () => {
    lab = await labUp({ hosts: CLUSTER_HOSTS + 1 });
    cluster = new Cluster(lab);
  });

  afterAll(async () => {
    try {
      if (cluster) {
        await cluster.stop();
        await cluster.stopQnetd();
      }
    } finally {
      await lab?.down();
    }
  });

  it('3 nodes: the pair keeps quorum when one is cut off, nobody when two are', async () => {
    await check(cluster, { cfg: config(3), groups: [[1, 2], [3]] });
    await check(cluster, { cfg: config(3), groups: [[1], [2], [3]] });
  });

  it('4 nodes: a 2/2 split leaves nobody quorate; losing one node keeps the three quorate', async () => {
    await check(cluster, {
      cfg: config(4),
      groups: [
        [1, 2],
        [3, 4],
      ],
    });
    await check(cluster, { cfg: config(4), groups: [[1, 2, 3], [4]] });
  });

  it('two_node: both halves of a 2-node split stay quorate (quorum 1, no fencing here), even on 3 nodes', async () => {
    await check(cluster, { cfg: config(2, { twoNode: true }), groups: [[1], [2]] });
    // two_node left on a 3-node cluster: quorum drops to 1 as soon as at most 2 members remain.
    await check(cluster, { cfg: config(3, { twoNode: true }), groups: [[1, 2], [3]] });
  });

  it('5 nodes, node1 with 2 votes: 3 votes against 3 votes is quorate nowhere; 4 against 2 is', async () => {
    await check(cluster, {
      cfg: config(5, {}, [2]),
      groups: [
        [1, 2],
        [3, 4, 5],
      ],
    });
    await check(cluster, {
      cfg: config(5, {}, [2]),
      groups: [
        [1, 2, 3],
        [4, 5],
      ],
    });
  });

  it('4 nodes with auto_tie_breaker: on a 2/2 split the half with the lowest / highest / first listed node id keeps quorum', async () => {
    await check(cluster, {
      cfg: config(4, { autoTieBreaker: true }),
      groups: [
        [1, 2],
        [3, 4],
      ],
    });
    await check(cluster, {
      cfg: config(4, { autoTieBreaker: true, autoTieBreakerNode: 'highest' }),
      groups: [
        [1, 2],
        [3, 4],
      ],
    });
    // A list: the first listed node that was a member decides, whatever its id.
    await check(cluster, {
      cfg: config(4, { autoTieBreaker: true, autoTieBreakerNode: [nodeId(3), nodeId(1)] }),
      groups: [
        [1, 2],
        [3, 4],
      ],
    });
  });

  it('wait_for_all: 2 of 3 nodes started after a cold start are not quorate', async () => {
    await check(cluster, { cfg: config(3, { waitForAll: true }), started: [1, 2] });
  });

  it('last_man_standing: 3 of 5 survivors shrink expected votes to 3 after the window', async () => {
    await check(cluster, {
      cfg: config(5, { lastManStanding: true, lastManStandingWindowMs: 3000 }),
      groups: [
        [1, 2],
        [3, 4, 5],
      ],
      stableMs: 6000,
    });
  });

  it('QDevice ffsplit: on a 2/2 split the half with the lowest node id gets the vote; a half cut from qnetd never does', async () => {
    const qdevice: QdeviceConfig = {
      model: 'net',
      votes: 1,
      host: lab!.host(QNETD_HOST).address,
      algorithm: 'ffsplit',
      tieBreaker: 'lowest',
    };
    await check(cluster, {
      cfg: config(4, { qdevice }),
      groups: [
        [1, 2],
        [3, 4],
      ],
      qdevice: true,
    });
    await check(cluster, {
      cfg: config(4, { qdevice }),
      groups: [
        [1, 2],
        [3, 4],
      ],
      reachesQnetd: [false, true],
      qdevice: true,
    });
    // Explicit device votes are not in the configured expected votes: a cold start with 2 of 4
    // nodes has expected 4 (not 5), and 2 + the QDevice vote reach quorum 3.
    await check(cluster, { cfg: config(4, { qdevice }), started: [1, 2], qdevice: true });
  });

  it('QDevice ffsplit without quorum.device.votes: corosync counts N−1 votes, and corosync-qdevice refuses to run', async () => {
    // The one question the model's qdeviceVotes() answers from corosync itself: the default is
    // the same for every algorithm, and ffsplit accepts only 1.
    const qdevice: QdeviceConfig = {
      model: 'net',
      host: lab!.host(QNETD_HOST).address,
      algorithm: 'ffsplit',
      tieBreaker: 'lowest',
    };
    const cfg = config(3, { qdevice });
    await cluster.start(cfg, [1, 2, 3]);
    const views = await cluster.settle(new Map([1, 2, 3].map((h) => [h, 3])), { stableMs: 800, deadlineMs: 60_000 });
    const eff = effectiveVotequorum(cfg);
    expect(eff.qdeviceVotes).toBe(2);
    for (const v of views.values()) {
      expect(v.expectedVotes).toBe(eff.configuredExpectedVotes);
      expect(v.expectedVotes).toBe(3 + 2);
    }
    await cluster.lab.exec(1, 'mkdir -p /run/corosync-qdevice', { timeoutMs: 5000 });
    // -f -d: stay in the foreground and log to stderr; `timeout` ends it (124) if it did run.
    const r = await cluster.lab.exec(1, 'timeout 20 corosync-qdevice -f -d 2>&1', { timeoutMs: 30_000 });
    console.log(`corosync-qdevice (ffsplit, default votes) exit ${r.exitCode}:\n${r.stdout.slice(-1500)}`);
    expect(r.exitCode).not.toBe(124);
    expect(r.exitCode).not.toBe(0);
    expect(eff.qdeviceProblem).toMatch(/ffsplit/);
  });

  it('QDevice lms on 3 nodes: default N−1 = 2 votes, and a lone node that still reaches qnetd stays quorate', async () => {
    const qdevice: QdeviceConfig = {
      model: 'net',
      host: lab!.host(QNETD_HOST).address,
      algorithm: 'lms',
      tieBreaker: 'lowest',
    };
    await check(cluster, {
      cfg: config(3, { qdevice }),
      groups: [[1], [2], [3]],
      reachesQnetd: [false, true, false],
      qdevice: true,
    });
  });
});
