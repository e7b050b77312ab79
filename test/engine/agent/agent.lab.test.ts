/**
 * The agent on real lab hosts, reached as the product reaches it: bootstrap over real sshd, then the
 * agent socket through SSH stream-local forwarding. Facts against the host, UDP probes between hosts
 * (open and firewalled), a skewed clock, the quorum stream, and no TCP port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentClient } from '../../../engine/agent/client';
import { parseToolVersion } from '../../../engine/agent/facts-parse';
import type { QuorumWatchEvent } from '../../../engine/agent/protocol';
import { openAgent, probePair } from '../../../engine/bootstrap/agents';
import { loadAgentBundle } from '../../../engine/bootstrap/bundle.fs';
import { installAgents } from '../../../engine/bootstrap/executor';
import { unwrap } from '../../../engine/result';
import type { SshSession } from '../../../engine/ssh';
import { minimalCorosyncConf, startCorosync, stopCorosync } from '../../lab/corosync';
import { labSupport, labUp, type Lab } from '../../lab/lab';
import { sshTo } from '../bootstrap/lab-sessions';
import { buildBundle, waitFor } from './agent-process';

const support = labSupport();
if (!support.ok) {
  console.warn(`agent lab tests skipped: ${support.reason}`);
}

const TCP_LISTEN = "ss -Htlnp | awk '{print $4, $6}' | sort";
const SKEW_S = 5;

describe.skipIf(!support.ok)('the agent on lab hosts, over SSH', () => {
  let lab: Lab;
  let dir: string;
  const sessions: SshSession[] = [];
  const clients: AgentClient[] = [];
  const tcpBefore: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quorate-agent-lab-'));
    buildBundle(join(dir, 'quorate-agent.cjs'));
    const bundle = unwrap(await loadAgentBundle(join(dir, 'quorate-agent.cjs')));
    lab = await labUp({ hosts: 3 });
    await lab.fakeProxmox(1, {
      version: '8.2.4',
      guests: [
        { vmid: 100, name: 'web', kind: 'qemu' },
        { vmid: 200, name: 'dns', kind: 'lxc' },
      ],
    });
    // Before the agent starts: faketime applies to what the host's sshd starts from now on.
    await lab.skewClock(3, SKEW_S);
    for (const h of lab.hosts) {
      tcpBefore.push((await lab.exec(h.index, TCP_LISTEN)).stdout);
      sessions.push(await sshTo(h));
    }
    for (const r of await installAgents(sessions, bundle)) {
      unwrap(r);
    }
    for (const s of sessions) {
      const a = unwrap(await openAgent(s));
      if (!a.client) {
        throw new Error(`${s.label}: no stream-local forward to the agent`);
      }
      clients.push(a.client);
    }
  });

  afterAll(async () => {
    for (const c of clients) {
      c.close();
    }
    for (const s of sessions) {
      await s.close();
    }
    await lab?.down();
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports facts that match the host: hostname, machine-id, corosync version, a faked Proxmox with guests', async () => {
    const f = unwrap(await clients[0]!.call('facts', {}));
    const host = lab.host(1);
    expect(f.hostname).toEqual({ ok: true, value: host.name });
    expect(f.machineId).toEqual({ ok: true, value: (await lab.exec(1, 'cat /etc/machine-id')).stdout.trim() });
    const corosyncThere = parseToolVersion((await lab.exec(1, 'corosync -v')).stdout);
    expect(corosyncThere).not.toBeNull();
    expect(f.versions.corosync).toEqual({ ok: true, value: corosyncThere });
    expect(f.versions.pve).toEqual({ ok: true, value: '8.2.4' });
    expect(f.guests.ok && f.guests.value.map((g) => [g.vmid, g.name, g.kind])).toEqual([
      [100, 'web', 'qemu'],
      [200, 'dns', 'lxc'],
    ]);
    expect(f.interfaces.ok && f.interfaces.value.some((i) => i.addresses.includes(`${host.address}/24`))).toBe(true);
    expect(f.membership).toMatchObject({ ok: true, value: { running: false, status: null } });
    expect(f.timeSync).toMatchObject({ ok: true, value: { source: 'none', summary: 'no NTP daemon' } });
    const plain = unwrap(await clients[1]!.call('facts', {}));
    expect(plain.versions.pve).toEqual({ ok: true, value: null });
    expect(plain.guests).toEqual({ ok: true, value: [] });
  });

  it('measures UDP between two hosts on a corosync port: no loss, RTT above zero', async () => {
    const m = unwrap(
      await probePair(clients[0]!, clients[1]!, lab.host(2).address, { port: 5407, count: 20, intervalMs: 10 }),
    );
    expect(m).toMatchObject({ sent: 20, received: 20, lossPercent: 0, host: lab.host(2).address, port: 5407 });
    expect(m.rttMinMs!).toBeGreaterThan(0);
    expect(m.rttAvgMs!).toBeLessThan(50);
    expect(m.jitterMs!).toBeGreaterThanOrEqual(0);
  });

  it('sees 100 % loss when UDP 5405–5412 is blocked on the peer', async () => {
    await lab.blockCorosyncPorts(2);
    try {
      const m = unwrap(
        await probePair(clients[0]!, clients[1]!, lab.host(2).address, {
          port: 5406,
          count: 10,
          intervalMs: 10,
          timeoutMs: 500,
        }),
      );
      expect(m).toMatchObject({ sent: 10, received: 0, lossPercent: 100, rttAvgMs: null });
    } finally {
      await lab.unblockCorosyncPorts(2);
    }
    const again = unwrap(
      await probePair(clients[0]!, clients[1]!, lab.host(2).address, { port: 5406, count: 5, intervalMs: 10 }),
    );
    expect(again.lossPercent).toBe(0);
  });

  it(`measures the skewed host's clock offset within 100 ms of the ${SKEW_S} s skew, and the others near zero`, async () => {
    const skewed = unwrap(await clients[2]!.measureClockOffset(8));
    expect(Math.abs(skewed.offsetMs - SKEW_S * 1000)).toBeLessThan(100);
    const normal = unwrap(await clients[0]!.measureClockOffset(8));
    expect(Math.abs(normal.offsetMs)).toBeLessThan(100);
  });

  it('streams quorum state over the forward: corosync not running on a bare host', async () => {
    const events: QuorumWatchEvent[] = [];
    const w = clients[1]!.watch({ intervalMs: 200 }, (e) => events.push(e));
    await waitFor(() => events.length > 0);
    await w.cancel();
    expect(unwrap(await w.done)).toEqual({ cancelled: true });
    expect(events[0]).toMatchObject({ kind: 'quorum', running: false, status: null, links: null });
  });

  it('opened no TCP listening port on any host', async () => {
    for (const h of lab.hosts) {
      expect((await lab.exec(h.index, TCP_LISTEN)).stdout, h.name).toBe(tcpBefore[h.index - 1]);
    }
    // and the agent itself holds no TCP socket in LISTEN
    const pid = (await lab.exec(1, 'cat /run/quorate-agent/agent.pid')).stdout.trim();
    expect((await lab.exec(1, `ss -Htlnp | grep -c "pid=${pid}," ; true`)).stdout.trim()).toBe('0');
  });

  // Last: corosync takes UDP 5405 on hosts 1 and 2 from here on.
  it('streams a real corosync membership change: two members quorate with link 0 connected, then one member inquorate with it disconnected after a cut', async () => {
    await startCorosync(lab, [1, 2], minimalCorosyncConf(lab, [1, 2]));
    const events: QuorumWatchEvent[] = [];
    const w = clients[0]!.watch({ intervalMs: 250 }, (e) => events.push(e));
    try {
      await waitFor(() => events.some((e) => e.status?.quorate === true && e.status.members.length === 2), 30_000);
      const peerId = (): number | undefined =>
        events.flatMap((e) => e.status?.members ?? []).find((m) => !m.local)?.nodeid;
      const peerLink = (e: QuorumWatchEvent): boolean | undefined =>
        e.links?.links.find((l) => l.linknumber === 0)?.peers.find((p) => p.nodeid === peerId())?.connected;
      // corosync-cfgtool -s through the agent: link 0 to the peer connected.
      await waitFor(() => events.length > 0 && peerLink(events[events.length - 1]!) === true, 30_000);
      const facts = unwrap(await clients[0]!.call('facts', {}));
      expect(facts.membership.ok && facts.membership.value.status?.members.map((m) => [m.name, m.local])).toEqual([
        ['node1', true],
        ['node2', false],
      ]);
      const seen = events.length;
      await lab.cut(2);
      await waitFor(() => events.slice(seen).some((e) => e.status?.quorate === false), 30_000);
      await waitFor(() => peerLink(events[events.length - 1]!) === false, 30_000);
      const last = events[events.length - 1]!;
      expect(last.status).toMatchObject({ quorate: false, nodes: 1, expectedVotes: 2 });
      expect(last.status?.members.map((m) => m.name)).toEqual(['node1']);
      // change-only: a handful of events, not one per poll
      expect(events.length - seen).toBeLessThan(8);
    } finally {
      await w.cancel();
      await lab.heal(2);
      await stopCorosync(lab, [1, 2]);
    }
  }, 90_000);
});
