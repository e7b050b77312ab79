/**
 * Adopting a running cluster from fake members (each member's one SSH reading is scripted): the
 * fixed result shape, the findings, every bad input of issue 11, and the registry (adopting twice
 * updates, another cluster with the same name is refused, forget touches no machine).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Machine } from '../../../engine/api/contract';
import { readingScript } from '../../../engine/api/adopt-analysis';
import { createAdoptService } from '../../../engine/api/service-adopt';
import { listClusters, saveCluster } from '../../../engine/ops/registry.fs';
import { err, ok, type Result } from '../../../engine/result';
import type { RootSession } from '../../../engine/ssh';

const homes: string[] = [];
afterAll(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));
const newHome = (): string => {
  const h = mkdtempSync(join(tmpdir(), 'quorate-adopt-'));
  homes.push(h);
  return h;
};

const node = (i: number, name = `node${i}`): string =>
  `    node {\n        ring0_addr: 198.18.0.${i}\n        name: ${name}\n        nodeid: ${i}\n    }\n`;
/** pcs's layout, with a name Proxmox would refuse. */
const pcsConf = (nodes = [1, 2, 3], version = 4, quorum = ''): string =>
  `totem {\n    version: 2\n    cluster_name: ha_cluster\n    config_version: ${version}\n    transport: knet\n    crypto_cipher: aes256\n    crypto_hash: sha256\n}\n\nnodelist {\n${nodes.map((i) => node(i)).join('\n')}}\n\nquorum {\n    provider: corosync_votequorum\n${quorum}}\n`;

function quorumtool(members: number[], expected: number, extra = ''): string {
  const rows = members.map((i) => `0x0000000${i}          1 node${i}${i === members[0] ? ' (local)' : ''}`).join('\n');
  return `Quorum information\n------------------\nDate:             Tue Dec  1 11:00:00 2026\nQuorum provider:  corosync_votequorum\nNodes:            ${members.length}\nNode ID:          0x0000000${members[0]}\nRing ID:          1.10\nQuorate:          ${members.length * 2 > expected ? 'Yes' : 'No'}\n\nVotequorum information\n----------------------\nExpected votes:   ${expected}\nHighest expected: ${expected}\nTotal votes:      ${members.length}\nQuorum:           ${Math.floor(expected / 2) + 1}\nFlags:            ${members.length * 2 > expected ? 'Quorate' : ''}${extra}\n\nMembership information\n----------------------\n    Nodeid      Votes Name\n${rows}\n`;
}

interface Member {
  conf?: string | null;
  pveConf?: string | null;
  pve?: boolean;
  authkey?: string | null;
  quorum?: string;
  qdevice?: boolean;
  hostname?: string;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
function reading(m: Member): string {
  return [
    `hostname ${m.hostname ?? 'x'}`,
    `pve ${m.pve ? 'yes' : 'no'}`,
    `pveconf ${m.pveConf ? b64(m.pveConf) : '-'}`,
    `conf ${m.conf ? b64(m.conf) : '-'}`,
    `authkey ${m.authkey === null ? '-' : (m.authkey ?? 'a'.repeat(64))}`,
    `quorum ${b64(m.quorum ?? '')}`,
    `qdevice ${m.qdevice ? 'yes' : 'no'}`,
    '',
  ].join('\n');
}

function fakeMachines(members: Record<string, Member | Error>, trusted = Object.keys(members)) {
  const connects: string[] = [];
  return {
    connects,
    machines: {
      listMachines: async (): Promise<Result<Machine[]>> =>
        ok(trusted.map((address) => ({ address, trusted: true, hostname: null }) as unknown as Machine)),
      connect: async (machine: string): Promise<Result<RootSession>> => {
        connects.push(machine);
        const m = members[machine];
        if (m === undefined) {
          return err('machines.unknown', `No machine ${machine} has been added to Quorate.`, 'Add it first.');
        }
        if (m instanceof Error) {
          return err('ssh.host-key-changed', m.message, 'Check the machine.');
        }
        const session = {
          run: async (command: string) => {
            // Adopt only reads: the one reading script, nothing else, ever.
            expect(command).toBe(readingScript);
            return ok({ stdout: reading(m), stderr: '', exitCode: 0, signal: null });
          },
          close: async () => undefined,
        };
        return ok(session as unknown as RootSession);
      },
    },
  };
}

const three = (over: Partial<Record<string, Member>> = {}): Record<string, Member> => ({
  '198.18.0.1': { conf: pcsConf(), quorum: quorumtool([1, 2, 3], 3), ...over['198.18.0.1'] },
  '198.18.0.2': { conf: pcsConf(), quorum: quorumtool([2, 1, 3], 3), ...over['198.18.0.2'] },
  '198.18.0.3': { conf: pcsConf(), quorum: quorumtool([3, 1, 2], 3), ...over['198.18.0.3'] },
});

describe('the reading adopt runs on a member', () => {
  it('only reads: no writes, no service changes (redirections only to /dev/null)', () => {
    expect(readingScript).not.toMatch(/\b(rm|mv|cp|tee|dd|systemctl|service|corosync-cfgtool|pvecm|kill)\b/);
    expect(readingScript.replace(/[12]?>\/dev\/null/g, '').replace(/2>&1/g, '')).not.toMatch(/>/);
    // The authkey is hashed on the machine; its bytes never travel.
    expect(readingScript).toMatch(/sha256sum \/etc\/corosync\/authkey/);
    expect(readingScript).not.toMatch(/(cat|base64)[^\n]*authkey/);
  });
});

describe('adoptCluster', () => {
  it('adopts a pcs-made 3-node cluster: fixed shape, machines matched by address, all checks pass', async () => {
    const home = newHome();
    const f = fakeMachines(three());
    const s = createAdoptService({ home, machines: f.machines, now: () => 0 });
    const r = await s.adoptCluster({ from: '198.18.0.1' });
    expect(r.ok && r.value).toMatchObject({ name: 'ha_cluster', provider: 'corosync', configVersion: 4 });
    if (!r.ok) {
      throw new Error(r.error.message);
    }
    expect(r.value.nodes).toEqual([
      { name: 'node1', nodeid: 1, addresses: ['198.18.0.1'], machine: '198.18.0.1', online: true },
      { name: 'node2', nodeid: 2, addresses: ['198.18.0.2'], machine: '198.18.0.2', online: true },
      { name: 'node3', nodeid: 3, addresses: ['198.18.0.3'], machine: '198.18.0.3', online: true },
    ]);
    const byId = Object.fromEntries(r.value.findings.map((x) => [x.id, x.status]));
    expect(byId).toMatchObject({
      'conf-same': 'pass',
      'authkey-same': 'pass',
      'corosync-running': 'pass',
      'expected-votes': 'pass',
      'nodes-joined': 'pass',
      'machines-known': 'pass',
      'conf-check': 'warn', // the Proxmox cluster-name rule: a warning, never a refusal
    });
    expect(f.connects.sort()).toEqual(['198.18.0.1', '198.18.0.2', '198.18.0.3']);
    const [rec] = await listClusters(home);
    expect(rec).toMatchObject({ name: 'ha_cluster', provider: 'corosync', adopted: { from: '198.18.0.1' } });
    expect(rec!.nodes).toEqual({ node1: '198.18.0.1', node2: '198.18.0.2', node3: '198.18.0.3' });
  });

  it('adopting twice updates the one record, never duplicates it', async () => {
    const home = newHome();
    const s = createAdoptService({ home, machines: fakeMachines(three()).machines, now: () => 0 });
    expect((await s.adoptCluster({ from: '198.18.0.1' })).ok).toBe(true);
    expect((await s.adoptCluster({ from: '198.18.0.2' })).ok).toBe(true);
    expect(readdirSync(join(home, 'clusters'))).toEqual(['ha_cluster.json']);
    expect((await listClusters(home))[0]!.adopted!.from).toBe('198.18.0.2');
  });

  it('a member whose corosync.conf differs: a fail finding naming it, versions and hashes', async () => {
    const home = newHome();
    const m = three({ '198.18.0.3': { conf: pcsConf([1, 2, 3], 3) } });
    const r = await createAdoptService({ home, machines: fakeMachines(m).machines, now: () => 0 }).adoptCluster({
      from: '198.18.0.1',
    });
    const conf = r.ok ? r.value.findings.find((x) => x.id === 'conf-same') : undefined;
    expect(conf?.status).toBe('fail');
    expect(conf?.message).toMatch(/198\.18\.0\.3 has config_version 3/);
  });

  it('a different authkey, corosync down on one, a node that never joined, an unknown machine', async () => {
    const home = newHome();
    const m = three({
      '198.18.0.2': { authkey: 'b'.repeat(64), quorum: '' },
    });
    delete (m as Record<string, Member>)['198.18.0.3'];
    const r = await createAdoptService({
      home,
      machines: fakeMachines({ ...m, '198.18.0.1': { conf: pcsConf(), quorum: quorumtool([1, 2], 3) } }).machines,
      now: () => 0,
    }).adoptCluster({ from: '198.18.0.1' });
    if (!r.ok) {
      throw new Error(r.error.message);
    }
    const f = Object.fromEntries(r.value.findings.map((x) => [x.id, x]));
    expect(f['authkey-same']!.status).toBe('fail');
    expect(f['authkey-same']!.message).not.toContain('b'.repeat(64)); // a short hash, never more
    expect(f['corosync-running']!.message).toContain('198.18.0.2');
    expect(f['nodes-joined']!.message).toMatch(/node3 is in the nodelist but not a member/);
    expect(f['machines-known']!.message).toContain('node3');
    expect(r.value.nodes.find((n) => n.name === 'node3')).toMatchObject({ machine: null, online: false });
  });

  it('expected votes lowered by hand and a QDevice that casts no vote are warnings', async () => {
    const home = newHome();
    const dev =
      '    device {\n        model: net\n        votes: 1\n        net {\n            host: 198.18.0.9\n            algorithm: ffsplit\n        }\n    }\n';
    const conf = pcsConf([1, 2], 5, dev);
    const m = {
      '198.18.0.1': { conf, quorum: quorumtool([1], 1), qdevice: true },
      '198.18.0.2': { conf, quorum: '', qdevice: false },
    };
    const r = await createAdoptService({ home, machines: fakeMachines(m).machines, now: () => 0 }).adoptCluster({
      from: '198.18.0.1',
    });
    if (!r.ok) {
      throw new Error(r.error.message);
    }
    const f = Object.fromEntries(r.value.findings.map((x) => [x.id, x]));
    expect(f['expected-votes']).toMatchObject({ status: 'warn' });
    expect(f['expected-votes']!.message).toMatch(/1 at runtime, the configuration says 3/);
    expect(f.qdevice).toMatchObject({ status: 'warn' });
    expect(f.qdevice!.message).toContain('198.18.0.2');
  });

  it('detects Proxmox VE: pveversion and /etc/pve/corosync.conf', async () => {
    const home = newHome();
    const conf = pcsConf([1, 2]).replace('ha_cluster', 'pvelab');
    const r = await createAdoptService({
      home,
      machines: fakeMachines({
        '198.18.0.1': { pve: true, pveConf: conf, conf, quorum: quorumtool([1, 2], 2) },
        '198.18.0.2': { pve: true, pveConf: conf, conf, quorum: quorumtool([2, 1], 2) },
      }).machines,
      now: () => 0,
    }).adoptCluster({ from: '198.18.0.1' });
    expect(r.ok && r.value.provider).toBe('pve');
  });

  describe('bad input: a clear error, nothing registered, nothing run but the reading', () => {
    const refused = async (members: Record<string, Member | Error>, from = '198.18.0.1', home = newHome()) => {
      const r = await createAdoptService({ home, machines: fakeMachines(members).machines, now: () => 0 }).adoptCluster(
        {
          from,
        },
      );
      expect(r.ok).toBe(false);
      expect(readdirSync(home)).not.toContain('clusters');
      return r.ok ? undefined : r.error;
    };
    it('a machine in no cluster', async () => {
      expect((await refused({ '198.18.0.1': { conf: null } }))!.code).toBe('adopt.not-in-cluster');
    });
    it('a machine not added to Quorate', async () => {
      expect((await refused({}, '198.18.0.7'))!.code).toBe('machines.unknown');
    });
    it('a member whose host key changed', async () => {
      const e = await refused({ '198.18.0.1': new Error('198.18.0.1:22 presents another host key') });
      expect(e!.code).toBe('ssh.host-key-changed');
      expect(e!.message).toMatch(/^cannot read 198\.18\.0\.1: /);
    });
    it('a truncated corosync.conf', async () => {
      const cut = pcsConf().slice(0, 200);
      const e = await refused({ '198.18.0.1': { conf: cut } });
      expect(e!.code).toBe('adopt.unreadable-conf');
      expect(e!.message).toMatch(/\/etc\/corosync\/corosync\.conf on 198\.18\.0\.1 cannot be read: \d+:\d+: /);
    });
    it('a node listed by address only', async () => {
      const conf = pcsConf().replace('        name: node2\n', '');
      const e = await refused({ '198.18.0.1': { conf, quorum: quorumtool([1], 3) } });
      expect(e!.code).toBe('adopt.unnamed-node');
      expect(e!.message).toContain('198.18.0.2');
    });
    it('another cluster with the same name already registered', async () => {
      const home = newHome();
      await saveCluster({ name: 'ha_cluster', provider: 'corosync', nodes: { a: '198.18.5.1' } }, home);
      const r = await createAdoptService({ home, machines: fakeMachines(three()).machines, now: () => 0 }).adoptCluster(
        { from: '198.18.0.1' },
      );
      expect(!r.ok && r.error.code).toBe('adopt.name-taken');
      expect((await listClusters(home))[0]!.nodes).toEqual({ a: '198.18.5.1' });
    });
  });

  it('forget removes the record only', async () => {
    const home = newHome();
    const f = fakeMachines(three());
    const s = createAdoptService({ home, machines: f.machines, now: () => 0 });
    await s.adoptCluster({ from: '198.18.0.1' });
    const before = f.connects.length;
    expect((await s.forgetCluster({ cluster: 'ha_cluster' })).ok).toBe(true);
    expect(f.connects.length).toBe(before);
    expect(await listClusters(home)).toEqual([]);
    const again = await s.forgetCluster({ cluster: 'ha_cluster' });
    expect(!again.ok && again.error.code).toBe('ops.unknown-cluster');
  });
});
