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
import { labSupport, labUp, type Lab } from '../../lab/lab';
import {
  bringUp,
  Cluster,
  compareFigures,
  config,
  name,
  QNETD_HOST,
  type QuorumFigures,
} from '../../lab/quorum-cluster';

const support = labSupport();
if (!support.ok) {
  console.log(`votequorum-real.lab: skipped — ${support.reason}`);
}

const CLUSTER_HOSTS = 5;
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
  // Before the split: the started nodes form one membership (quorate or not, e.g. wait_for_all).
  await bringUp(cluster, s.cfg, started, s.qdevice);
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
  const want = new Map<number, QuorumFigures>();
  const reasons = new Map<number, string>();
  groups.forEach((g, i) => {
    const v: PartitionVerdict = verdicts[i]!;
    for (const h of g) {
      want.set(h, { quorate: v.quorate, votes: v.votes, expectedVotes: v.expectedVotes, quorum: v.quorum });
      reasons.set(h, `[${g.join(',')}] (model: ${v.reason})`);
    }
  });
  const { lines, mismatches } = compareFigures(views, want, (h) => `node${h} ${reasons.get(h)}`);
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
