import { describe, expect, it } from 'vitest';
import {
  runExpectedCommand,
  runRemoveCommand,
  runQdeviceCommand,
  statusJson,
} from '../../../engine/cli/cluster-commands';
import { UsageError } from '../../../engine/cli/io';
import type { OpsContext } from '../../../engine/ops/operations';
import { err } from '../../../engine/result';

const io = { stdout: () => {}, stderr: () => {}, readStdin: async () => '' };
// A context that reaches nothing: usage errors must be raised before any connection.
const ctx: OpsContext = {
  home: '/nonexistent',
  journal: { load: async () => null, save: async () => {} },
  connect: async () => err('ssh.unreachable', 'no', 'no'),
};

describe('cluster CLI', () => {
  it('requires the typed cluster name for expected votes', async () => {
    await expect(runExpectedCommand(['lab', '--votes', '1', '--json'], io, { ctx })).rejects.toThrow(UsageError);
  });
  it('refuses an unknown remove --qdevice choice, naming both', async () => {
    await expect(runRemoveCommand(['lab', '--node', 'n3', '--qdevice', 'lms'], io, { ctx })).rejects.toThrow(
      /keep-lms or remove/,
    );
  });
  it('refuses an unknown QDevice algorithm', async () => {
    await expect(
      runQdeviceCommand(['setup', 'lab', '--host', 'q', '--algorithm', 'paxos'], io, { ctx }),
    ).rejects.toThrow(/ffsplit or lms/);
  });
  it('prints exactly the fixed status keys', () => {
    const v = statusJson({
      name: 'lab',
      clusterName: 'lab',
      readFrom: 'x',
      state: 'quorate',
      quorate: true,
      expectedVotes: 3,
      totalVotes: 3,
      quorum: 2,
      canLose: 1,
      nodes: [{ name: 'n1', nodeid: 1, votes: 1, online: true, machine: 'x' }],
      qdevice: { host: 'q', algorithm: 'ffsplit', votes: 1, flags: 'A,V,NMW' },
      links: [],
      reporter: 'n1',
      updatedAt: 0,
    });
    expect(Object.keys(v).sort()).toEqual(['expectedVotes', 'nodes', 'qdevice', 'quorate', 'quorum', 'totalVotes']);
    expect(v).toMatchObject({
      nodes: [{ name: 'n1', nodeid: 1, votes: 1, online: true }],
      qdevice: { host: 'q', flags: ['A', 'V', 'NMW'] },
    });
    expect(Object.keys((v as { nodes: object[] }).nodes[0]!)).toEqual(['name', 'nodeid', 'votes', 'online']);
  });
});
