/**
 * Real corosync clusters from hand-written corosync.conf files in lab hosts, for the tests that
 * compare the votequorum model (evaluator, what-if) with what corosync reports: write the file,
 * start corosync (and corosync-qdevice / corosync-qnetd), split with nftables drops, and poll
 * `corosync-quorumtool -s` until it has settled.
 */
import { parseQuorumtoolStatus } from '../../engine/corosync/tool-quorumtool';
import { nodeId, type VotequorumConfig } from '../../engine/model';
import { startCorosync } from './corosync';
import type { Lab } from './lab';

/** The host that runs corosync-qnetd (the cluster nodes are hosts 1..5). */
export const QNETD_HOST = 6;

// Short timeouts keep the run quick (token_coefficient 0: no +650 ms per node above 2); the
// arithmetic does not depend on them.
export const TOKEN_MS = 1000;
export const QDEVICE_TIMEOUT_MS = 4000;
export const QDEVICE_SYNC_TIMEOUT_MS = 6000;

export interface QuorumToolView {
  nodes: number;
  quorate: boolean;
  expectedVotes: number;
  totalVotes: number;
  quorum: number;
  flags: string;
}

/** The fields this test compares, through the product's own `corosync-quorumtool -s` parser. */
export function parseQuorumTool(text: string): QuorumToolView | undefined {
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

export const name = (i: number): string => `node${i}`;

export function config(count: number, extra: Partial<VotequorumConfig> = {}, votes: number[] = []): VotequorumConfig {
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
export function confText(lab: Lab, cfg: VotequorumConfig): string {
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

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Cluster {
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

/** The four figures both real-corosync tests compare (corosync's view against the model's answer). */
export interface QuorumFigures {
  quorate: boolean;
  votes: number;
  expectedVotes: number;
  quorum: number;
}

export const figuresOf = (v: QuorumToolView): QuorumFigures => ({
  quorate: v.quorate,
  votes: v.totalVotes,
  expectedVotes: v.expectedVotes,
  quorum: v.quorum,
});

/**
 * Every host's settled view against what the model says it should be: a printable line per host
 * and the mismatches (empty when corosync and the model agree). `label(h)` adds context per line.
 */
export function compareFigures(
  views: Map<number, QuorumToolView>,
  want: Map<number, QuorumFigures>,
  label: (h: number) => string = (h) => `node${h}`,
): { lines: string[]; mismatches: string[] } {
  const lines: string[] = [];
  const mismatches: string[] = [];
  for (const [h, model] of want) {
    const v = views.get(h)!;
    const real = figuresOf(v);
    lines.push(`  ${label(h)} corosync ${JSON.stringify(real)} flags "${v.flags}"`);
    if (JSON.stringify(real) !== JSON.stringify(model)) {
      mismatches.push(`node${h}: corosync ${JSON.stringify(real)} ≠ model ${JSON.stringify(model)}`);
    }
  }
  return { lines, mismatches };
}

/** Starts corosync on `hosts` (and corosync-qdevice when asked) and waits until they form one membership. */
export async function bringUp(
  cluster: Cluster,
  cfg: VotequorumConfig,
  hosts: number[],
  qdevice = false,
): Promise<void> {
  await cluster.start(cfg, hosts);
  const all = new Map(hosts.map((h) => [h, hosts.length]));
  await cluster.settle(all, { stableMs: 800, deadlineMs: 60_000 });
  if (qdevice) {
    // corosync-qdevice exits at once when corosync is not ready: start it only now.
    await cluster.startQdevice(hosts);
    await cluster.settle(all, { stableMs: 5000, deadlineMs: 60_000 });
  }
}
