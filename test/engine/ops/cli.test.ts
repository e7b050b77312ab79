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
      quorate: true,
      expectedVotes: 3,
      totalVotes: 3,
      quorum: 2,
      nodes: [],
      qdevice: null,
      readFrom: 'x',
    });
    expect(Object.keys(v).sort()).toEqual(['expectedVotes', 'nodes', 'qdevice', 'quorate', 'quorum', 'totalVotes']);
  });
});
