/**
 * A small in-memory world for `quorate status`: machines answering `cat corosync.conf` and
 * `corosync-quorumtool -s` with recorded corosync output (test/engine/corosync/tool-samples), or not
 * answering at all. The lab tests (qdevice.lab, sudo.lab) run the real thing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpsContext } from '../../../engine/ops/operations';
import { fileJournalStore } from '../../../engine/ops/journal.fs';
import { err, ok } from '../../../engine/result';
import type { CommandRunner } from '../../../engine/ssh/runner';

export function toolSample(name: string): string {
  return readFileSync(join(import.meta.dirname, '..', 'corosync', 'tool-samples', name, 'output.txt'), 'utf8');
}

/** corosync.conf of `nodes` (node1..nodeN at 198.18.9.N), with a QDevice on 198.18.9.9 when asked. */
export function statusConf(name: string, nodes: number, qdevice: boolean): string {
  const nodeBlocks = Array.from(
    { length: nodes },
    (_, i) =>
      `  node {\n    name: node${i + 1}\n    nodeid: ${i + 1}\n    quorum_votes: 1\n    ring0_addr: 198.18.9.${i + 1}\n  }\n`,
  ).join('');
  const device = qdevice
    ? '  device {\n    model: net\n    votes: 1\n    net {\n      host: 198.18.9.9\n      algorithm: ffsplit\n      tls: on\n    }\n  }\n'
    : '';
  return `totem {\n  version: 2\n  cluster_name: ${name}\n  config_version: 3\n  transport: knet\n  interface {\n    linknumber: 0\n  }\n}\n\nnodelist {\n${nodeBlocks}}\n\nquorum {\n  provider: corosync_votequorum\n${device}}\n`;
}

export interface MachineAnswer {
  /** null: the machine cannot be reached. */
  readonly conf: string | null;
  /** null: corosync does not answer (exit 1, nothing on stdout). */
  readonly quorumtool: string | null;
}

export function statusWorld(home: string, machines: Record<string, MachineAnswer>): OpsContext {
  const runner = (name: string, a: MachineAnswer): CommandRunner => ({
    label: name,
    async run(command) {
      if (command.startsWith('cat ') && command.includes('corosync.conf')) {
        return ok({ stdout: a.conf ?? '', stderr: '', exitCode: 0, signal: null });
      }
      if (command === 'corosync-quorumtool -s') {
        return a.quorumtool === null
          ? ok({ stdout: '', stderr: 'Cannot initialize QUORUM service', exitCode: 1, signal: null })
          : ok({ stdout: a.quorumtool, stderr: '', exitCode: 0, signal: null });
      }
      return ok({ stdout: '', stderr: 'not in this world', exitCode: 1, signal: null });
    },
    async upload() {
      return ok(undefined);
    },
    async close() {},
  });
  return {
    home,
    journal: fileJournalStore(home),
    connect: async (m) => {
      const a = machines[m];
      return a && a.conf !== null
        ? ok(runner(m, a))
        : err('ssh.unreachable', `${m}: connect ETIMEDOUT`, 'Check the address and that sshd runs there.');
    },
  };
}
