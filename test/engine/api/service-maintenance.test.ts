import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMaintenanceService } from '../../../engine/api/service-maintenance';
import type { CliIo } from '../../../engine/cli/io';
import { runWhatifCommand } from '../../../engine/cli/maintenance-commands';
import { saveCluster } from '../../../engine/ops/registry.fs';
import { ok } from '../../../engine/result';
import type { CommandRunner } from '../../../engine/ssh/runner';

const sample = (name: string): string =>
  readFileSync(join(__dirname, '../corosync/tool-samples', name, 'output.txt'), 'utf8');

function conf(nodes: number, qdevice = ''): string {
  const list = Array.from(
    { length: nodes },
    (_, i) => `  node {\n    name: node${i + 1}\n    nodeid: ${i + 1}\n    ring0_addr: 198.18.0.${i + 1}\n  }\n`,
  ).join('');
  return `totem {\n  version: 2\n  cluster_name: lab\n  config_version: 3\n  transport: knet\n}\nquorum {\n  provider: corosync_votequorum\n${qdevice}}\nnodelist {\n${list}}\n`;
}

/** A machine that answers cat corosync.conf and corosync-quorumtool -s like a real node. */
function machine(confText: string, quorumtool: string): CommandRunner {
  return {
    label: 'fake',
    run: async (command) =>
      ok({
        stdout: command.startsWith('cat ') ? confText : command.startsWith('corosync-quorumtool') ? quorumtool : '',
        stderr: '',
        exitCode: 0,
        signal: null,
      }),
    upload: async () => ok(undefined),
    close: async () => {},
  };
}

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'quorate-maint-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

async function service(confText: string, quorumtool: string) {
  await saveCluster(
    { name: 'lab', provider: 'corosync', nodes: { node1: '198.18.0.1', node2: '198.18.0.2', node3: '198.18.0.3' } },
    home,
  );
  return createMaintenanceService({ home, connect: async () => ok(machine(confText, quorumtool)) });
}

function io(): CliIo & { out: string; err: string } {
  const o = {
    out: '',
    err: '',
    stdout: (t: string) => void (o.out += t),
    stderr: (t: string) => void (o.err += t),
    readStdin: async () => '',
  };
  return o;
}

describe('maintenance service: whatIf', () => {
  it('answers from the conf and quorumtool of a member', async () => {
    const s = await service(conf(3), sample('quorumtool-s-three-nodes-quorate'));
    const r = await s.whatIf({ cluster: 'lab', down: ['node3'] });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.now).toEqual({ quorate: true, votes: 3, expectedVotes: 3, quorum: 2, canLose: 1 });
      expect(r.value.after).toEqual({ quorate: true, votes: 2, expectedVotes: 3, quorum: 2, canLose: 0 });
      expect(r.value.remaining).toEqual(['node1', 'node2']);
    }
  });

  it('counts the QDevice only when it votes now (qnetd lost: its vote is already gone)', async () => {
    const qd =
      '  device {\n    model: net\n    votes: 1\n    net {\n      host: 198.18.0.9\n      algorithm: ffsplit\n    }\n  }\n';
    const s = await service(conf(2, qd), sample('quorumtool-s-qdevice-qnetd-lost'));
    const r = await s.whatIf({ cluster: 'lab', down: ['node2'] });
    expect(r.ok && r.value.after).toEqual({ quorate: false, votes: 1, expectedVotes: 3, quorum: 2, canLose: 0 });
  });
});

describe('maintenance service: setMaintenance on bare corosync', () => {
  it('asks for the typed name when the rest could lose no further node, then records the mark', async () => {
    const s = await service(conf(3), sample('quorumtool-s-three-nodes-quorate'));
    const planned = await s.setMaintenance({ cluster: 'lab', node: 'node3', enable: true, plan: true });
    expect(planned.ok && [planned.value.planned, planned.value.needsConfirm, planned.value.engine]).toEqual([
      true,
      true,
      'corosync',
    ]);
    const none = await s.listMaintenance({ cluster: 'lab' });
    expect(none.ok && none.value).toEqual([]);
    const refused = await s.setMaintenance({ cluster: 'lab', node: 'node3', enable: true });
    expect(!refused.ok && refused.error.code).toBe('maintenance.confirm-needed');
    const wrong = await s.setMaintenance({ cluster: 'lab', node: 'node3', enable: true, confirm: 'other' });
    expect(!wrong.ok && wrong.error.code).toBe('maintenance.confirm-needed');
    const done = await s.setMaintenance({ cluster: 'lab', node: 'node3', enable: true, confirm: 'lab' });
    expect(done.ok && done.value.inMaintenance).toBe(true);
    const marks = await s.listMaintenance({ cluster: 'lab' });
    expect(marks.ok && marks.value.map((m) => [m.node, m.by, m.engine])).toEqual([
      ['node3', 'maintenance', 'corosync'],
    ]);
  });

  it('refuses a second node when the rest would be inquorate (the first one counts as gone)', async () => {
    const s = await service(conf(3), sample('quorumtool-s-three-nodes-quorate'));
    await s.setMaintenance({ cluster: 'lab', node: 'node3', enable: true, confirm: 'lab' });
    const r = await s.setMaintenance({ cluster: 'lab', node: 'node2', enable: true, confirm: 'lab' });
    expect(!r.ok && r.error.code).toBe('maintenance.would-lose-quorum');
    expect(!r.ok && r.error.hint).toContain('node3');
  });

  it('disables: clears the mark; disabling again is harmless', async () => {
    const s = await service(conf(3), sample('quorumtool-s-three-nodes-quorate'));
    await s.setMaintenance({ cluster: 'lab', node: 'node1', enable: true, confirm: 'lab' });
    const off = await s.setMaintenance({ cluster: 'lab', node: 'node1', enable: false });
    expect(off.ok && off.value.inMaintenance).toBe(false);
    const marks = await s.listMaintenance({ cluster: 'lab' });
    expect(marks.ok && marks.value).toEqual([]);
    const again = await s.setMaintenance({ cluster: 'lab', node: 'node1', enable: false });
    expect(again.ok && again.value.steps).toEqual(['node1 is not in maintenance']);
  });

  it('refuses an unknown node', async () => {
    const s = await service(conf(3), sample('quorumtool-s-three-nodes-quorate'));
    const r = await s.setMaintenance({ cluster: 'lab', node: 'node7', enable: true });
    expect(!r.ok && r.error.code).toBe('whatif.unknown-node');
  });
});

describe('quorate whatif', () => {
  it('prints the fixed JSON shape', async () => {
    const s = await service(conf(3), sample('quorumtool-s-three-nodes-quorate'));
    const o = io();
    expect(await runWhatifCommand(['lab', '--down', 'node2,node3', '--json'], o, { service: s })).toBe(0);
    const json = JSON.parse(o.out);
    expect(Object.keys(json)).toEqual(['now', 'after', 'reason']);
    expect(Object.keys(json.after)).toEqual(['quorate', 'votes', 'expectedVotes', 'quorum', 'canLose']);
    expect(json.after).toEqual({ quorate: false, votes: 1, expectedVotes: 3, quorum: 2, canLose: 0 });
    expect(json.reason).toContain('without node2, node3');
  });

  it('exits 2 with a hint for a node name not in the nodelist', async () => {
    const s = await service(conf(3), sample('quorumtool-s-three-nodes-quorate'));
    const o = io();
    expect(await runWhatifCommand(['lab', '--down', 'node9', '--json'], o, { service: s })).toBe(2);
    expect(JSON.parse(o.out).error.code).toBe('whatif.unknown-node');
    expect(o.err).toContain('hint: node names are those of the nodelist: node1, node2, node3');
  });

  it('exits 2 for qdevice on a cluster without one, and for an unknown cluster', async () => {
    const s = await service(conf(3), sample('quorumtool-s-three-nodes-quorate'));
    expect(await runWhatifCommand(['lab', '--down', 'qdevice'], io(), { service: s })).toBe(2);
    expect(await runWhatifCommand(['nosuch', '--down', 'node1'], io(), { service: s })).toBe(2);
  });
});
