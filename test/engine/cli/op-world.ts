/**
 * A small in-memory world for the cluster commands' tests: three machines m1..m3 (nodes node1..3
 * of cluster `lab`) whose corosync answers `cat corosync.conf` and `corosync-quorumtool -s`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileJournalStore } from '../../../engine/ops/journal.fs';
import type { OpsContext } from '../../../engine/ops/operations';
import { newSpec } from '../../../engine/ops/spec';
import { ok, unwrap } from '../../../engine/result';
import type { CommandRunner } from '../../../engine/ssh/runner';

const sample = (name: string): string =>
  readFileSync(join(import.meta.dirname, '..', 'corosync', 'tool-samples', name, 'output.txt'), 'utf8');
/** What `corosync-quorumtool -s` reports: all three members, or node3 gone. */
export const membership = {
  all: sample('quorumtool-s-three-nodes-quorate'),
  'node3-off': sample('quorumtool-s-two-of-three-quorate'),
};

/**
 * `fails`: which other commands fail (exit 1); the rest succeed with no output. Default: all fail,
 * so a run stops at its first step.
 */
export function world(
  home: string,
  commands: string[],
  members: keyof typeof membership,
  fails: RegExp = /./,
  /** The nodes corosync.conf lists (node1..nodeN). */
  confNodes = 3,
): OpsContext {
  const conf = unwrap(
    newSpec(
      'lab',
      [1, 2, 3]
        .slice(0, confNodes)
        .map((i) => ({ name: `node${i}`, machine: `m${i}`, addresses: { 0: `198.18.9.${i}` } })),
    ),
  ).conf;
  const runner = (name: string): CommandRunner => ({
    label: name,
    async run(command) {
      if (command.startsWith('cat ') && command.includes('/etc/corosync/corosync.conf') && /^m[123]$/.test(name)) {
        return ok({ stdout: conf, stderr: '', exitCode: 0, signal: null });
      }
      if (command === 'corosync-quorumtool -s' && /^m[123]$/.test(name)) {
        return ok({ stdout: membership[members], stderr: '', exitCode: 0, signal: null });
      }
      if (command.startsWith('command -v corosync-q')) {
        return ok({ stdout: '', stderr: '', exitCode: 0, signal: null });
      }
      commands.push(`${name}: ${command.split('\n')[0]}`);
      return fails.test(command)
        ? ok({ stdout: '', stderr: 'not in this world', exitCode: 1, signal: null })
        : ok({ stdout: '', stderr: '', exitCode: 0, signal: null });
    },
    async upload() {
      return ok(undefined);
    },
    async close() {},
  });
  return { home, journal: fileJournalStore(home), connect: async (m) => ok(runner(m)) };
}
