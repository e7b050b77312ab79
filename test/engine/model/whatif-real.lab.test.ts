/**
 * What-if against real corosync 3: start a cluster from a hand-written corosync.conf, ask `whatIf`
 * from what `corosync-quorumtool -s` reports on a surviving node (the live membership, expected
 * votes as corosync holds them, the QDevice's vote now), then really cut those nodes (and the qnetd
 * host) with nftables drops, wait until corosync has settled, and compare `after` with what every
 * survivor prints. One lab for the file, reconfigured between cases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveQuorumFromStatus } from '../../../engine/corosync/live-quorum';
import { parseQuorumtoolStatus } from '../../../engine/corosync/tool-quorumtool';
import { quorumWait, whatIf, type QdeviceConfig, type VotequorumConfig } from '../../../engine/model';
import { startCorosync } from '../../lab/corosync';
import { labSupport, labUp, type Lab } from '../../lab/lab';
import {
  bringUp,
  Cluster,
  compareFigures,
  config,
  confText,
  name,
  QNETD_HOST,
  type QuorumFigures,
} from '../../lab/quorum-cluster';

const support = labSupport();
if (!support.ok) {
  console.log(`whatif-real.lab: skipped — ${support.reason}`);
}

interface Case {
  cfg: VotequorumConfig;
  /** Host numbers (= node ids) going away. */
  down: number[];
  /** The qnetd host becomes unreachable for the survivors. */
  qdeviceDown?: boolean;
  /** Start corosync-qdevice on every node (cfg has a quorum.device). */
  qdevice?: boolean;
}

const figuresOfAnswer = (a: ReturnType<typeof whatIf>): QuorumFigures => ({
  quorate: a.after.quorate,
  votes: a.after.votes,
  expectedVotes: a.after.expectedVotes,
  quorum: a.after.quorum,
});

/** Ask, cut, compare; returns the what-if answer for further checks. */
async function askThenCut(lab: Lab, cluster: Cluster, c: Case): Promise<ReturnType<typeof whatIf>> {
  const hosts = c.cfg.nodes.map((n) => n.nodeid as number);
  await bringUp(cluster, c.cfg, hosts, c.qdevice);
  const rest = hosts.filter((h) => !c.down.includes(h));
  const reader = rest[0]!;
  const text = await lab.exec(reader, 'corosync-quorumtool -s', { timeoutMs: 8000 });
  const parsed = parseQuorumtoolStatus(text.stdout);
  expect(parsed.ok, text.stdout).toBe(true);
  const live = liveQuorumFromStatus(parsed.ok ? parsed.value : (undefined as never), c.cfg.nodes)!;
  const answer = whatIf(c.cfg, live, { nodes: c.down.map(name), qdevice: c.qdeviceDown ?? false });

  await cluster.split([rest, ...c.down.map((h) => [h])], [!(c.qdeviceDown ?? false), ...c.down.map(() => false)]);
  const stableMs = c.qdevice ? 12_000 : 2500;
  const views = await cluster.settle(new Map(rest.map((h) => [h, rest.length])), {
    stableMs,
    deadlineMs: stableMs + 60_000,
  });
  const compared = compareFigures(views, new Map(rest.map((h) => [h, figuresOfAnswer(answer)])));
  const lines = [`what-if ${JSON.stringify(answer.after)} — ${answer.reason}`, ...compared.lines];
  const mismatches = compared.mismatches;
  console.log(lines.join('\n'));
  expect(mismatches, lines.join('\n')).toEqual([]);
  return answer;
}

describe.skipIf(!support.ok)('what-if against real corosync (ask, cut, compare)', () => {
  let lab: Lab | undefined;
  let cluster: Cluster;

  beforeAll(async () => {
    lab = await labUp({ hosts: QNETD_HOST });
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

  it('cold start: 3 nodes with wait_for_all and node3 left down wait for it, and are quorate once it is back', async () => {
    const cfg = config(3, { waitForAll: true });
    await cluster.start(cfg, [1, 2]);
    await cluster.settle(
      new Map([
        [1, 2],
        [2, 2],
      ]),
      { stableMs: 1500, deadlineMs: 60_000 },
    );
    const read = async () => {
      const parsed = parseQuorumtoolStatus((await lab!.exec(1, 'corosync-quorumtool -s', { timeoutMs: 8000 })).stdout);
      expect(parsed.ok).toBe(true);
      return liveQuorumFromStatus(parsed.ok ? parsed.value : (undefined as never), cfg.nodes)!;
    };
    const waiting = quorumWait(cfg, await read());
    console.log(`cold start, node3 down: ${waiting.text}`);
    expect(waiting).toMatchObject({ waiting: true, missing: ['node3'], blockedByWaitForAll: true });
    expect(waiting.text).toBe(
      '2 of 3 votes needed, 2 present: node3 is not back yet; with wait_for_all the cluster waits for every node',
    );
    for (const [h, pid] of await startCorosync(lab!, [3], confText(lab!, cfg))) {
      cluster.corosync.set(h, pid);
    }
    await cluster.settle(
      new Map([
        [1, 3],
        [2, 3],
        [3, 3],
      ]),
      { stableMs: 1500, deadlineMs: 60_000 },
    );
    expect(quorumWait(cfg, await read()).waiting).toBe(false);
  });

  it('plain: 3 nodes stay quorate without node3, not without node2 and node3', async () => {
    const a = await askThenCut(lab!, cluster, { cfg: config(3), down: [3] });
    expect([a.now.canLose, a.after.quorate, a.after.canLose]).toEqual([1, true, 0]);
    const b = await askThenCut(lab!, cluster, { cfg: config(3), down: [2, 3] });
    expect(b.after.quorate).toBe(false);
  });

  it('two_node: the survivor of a 2-node cluster keeps quorum 1', async () => {
    const a = await askThenCut(lab!, cluster, { cfg: config(2, { twoNode: true }), down: [2] });
    expect(a.after.quorate).toBe(true);
  });

  it('weighted: 5 nodes with node1 at 2 votes survive losing node1, not node1 and node2', async () => {
    const cfg = config(5, {}, [2]);
    const a = await askThenCut(lab!, cluster, { cfg, down: [1] });
    expect(a.after.quorate).toBe(true);
    const b = await askThenCut(lab!, cluster, { cfg, down: [1, 2] });
    expect(b.after.quorate).toBe(false);
  });

  it('auto_tie_breaker: 4 nodes keep quorum on the half with the lowest node id', async () => {
    const a = await askThenCut(lab!, cluster, { cfg: config(4, { autoTieBreaker: true }), down: [3, 4] });
    expect(a.after.quorate).toBe(true);
    const b = await askThenCut(lab!, cluster, { cfg: config(4, { autoTieBreaker: true }), down: [1, 2] });
    expect(b.after.quorate).toBe(false);
  });

  it('QDevice ffsplit: a 2-node cluster keeps quorum without node2 thanks to the QDevice vote', async () => {
    const qdevice: QdeviceConfig = {
      model: 'net',
      votes: 1,
      host: lab!.host(QNETD_HOST).address,
      algorithm: 'ffsplit',
      tieBreaker: 'lowest',
    };
    const a = await askThenCut(lab!, cluster, { cfg: config(2, { qdevice }), down: [2], qdevice: true });
    expect([a.now.votes, a.after.quorate, a.after.votes]).toEqual([3, true, 2]);
  });

  it('QDevice lms: 3 nodes survive losing the QDevice, not the QDevice and node3', async () => {
    const qdevice: QdeviceConfig = {
      model: 'net',
      host: lab!.host(QNETD_HOST).address,
      algorithm: 'lms',
      tieBreaker: 'lowest',
    };
    const cfg = config(3, { qdevice });
    const a = await askThenCut(lab!, cluster, { cfg, down: [], qdeviceDown: true, qdevice: true });
    expect([a.now.votes, a.after.quorate, a.after.votes]).toEqual([5, true, 3]);
    const b = await askThenCut(lab!, cluster, { cfg, down: [3], qdeviceDown: true, qdevice: true });
    expect(b.after.quorate).toBe(false);
  });
});
