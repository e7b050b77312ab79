/**
 * `quorate expected` is a thin client of the service's planSetExpected + runPlan: its fixed JSON
 * (refusal and success) stays what it printed when it called ops itself, and the window's handlers
 * refuse a wrong typed name with the same code. Over a small in-memory world of three machines
 * answering `cat corosync.conf`, `corosync-quorumtool -s` and `-e N` (the lab tests run the real thing).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventHub } from '../../../engine/api/event-hub';
import { createOperationsService } from '../../../engine/api/service-ops';
import { runExpectedCommand } from '../../../engine/cli/cluster-commands';
import { fileJournalStore } from '../../../engine/ops/journal.fs';
import type { OpsContext } from '../../../engine/ops/operations';
import { saveCluster } from '../../../engine/ops/registry.fs';
import { newSpec } from '../../../engine/ops/spec';
import { err, ok, unwrap } from '../../../engine/result';
import type { CommandRunner } from '../../../engine/ssh/runner';
import { captureIo } from './captured-io';

const sample = readFileSync(
  join(import.meta.dirname, '..', 'corosync', 'tool-samples', 'quorumtool-s-three-nodes-quorate', 'output.txt'),
  'utf8',
);

function world(home: string): { ctx: OpsContext; commands: string[] } {
  const conf = unwrap(
    newSpec(
      'lab',
      [1, 2, 3].map((i) => ({ name: `node${i}`, machine: `m${i}`, addresses: { 0: `198.18.9.${i}` } })),
    ),
  ).conf;
  let expected: number | null = null;
  const commands: string[] = [];
  const runner = (name: string): CommandRunner => ({
    label: name,
    async run(command) {
      if (command.startsWith('cat ') && command.includes('/etc/corosync/corosync.conf')) {
        return ok({ stdout: conf, stderr: '', exitCode: 0, signal: null });
      }
      if (command === 'corosync-quorumtool -s') {
        const text =
          expected === null ? sample : sample.replace(/Expected votes:\s+3/, `Expected votes:   ${expected}`);
        return ok({ stdout: text, stderr: '', exitCode: 0, signal: null });
      }
      commands.push(`${name}: ${command}`);
      const e = /^corosync-quorumtool -e '?(\d+)'?$/.exec(command);
      if (e) {
        expected = Number(e[1]);
        return ok({ stdout: '', stderr: '', exitCode: 0, signal: null });
      }
      return ok({ stdout: '', stderr: 'not in this world', exitCode: 1, signal: null });
    },
    async upload() {
      return ok(undefined);
    },
    async close() {},
  });
  return { commands, ctx: { home, journal: fileJournalStore(home), connect: async (m) => ok(runner(m)) } };
}

let home: string;
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'quorate-expected-'));
  await saveCluster({ name: 'lab', provider: 'corosync', nodes: { node1: 'm1', node2: 'm2', node3: 'm3' } }, home);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('quorate expected through the service', () => {
  it('refuses a wrong typed name with the fixed error JSON, changing nothing', async () => {
    const w = world(home);
    const io = captureIo();
    const code = await runExpectedCommand(['lab', '--votes', '2', '--confirm', 'lba', '--json'], io, { ctx: w.ctx });
    expect(code).toBe(1);
    expect(io.out()).toBe(GOLDEN_REFUSED);
    expect(w.commands).toEqual([]);
  });

  it('lowers expected votes and prints the fixed JSON with what corosync reports afterwards', async () => {
    const w = world(home);
    const io = captureIo();
    const code = await runExpectedCommand(['lab', '--votes', '2', '--confirm', 'lab', '--json'], io, { ctx: w.ctx });
    expect(io.out()).toBe(GOLDEN_DONE);
    expect(code).toBe(0);
    expect(w.commands.filter((c) => c.includes('-e'))).toHaveLength(1);
  });

  it('gives the window the same refusal, and the same run, through planSetExpected + runPlan', async () => {
    const w = world(home);
    const ops = createOperationsService({
      home,
      events: createEventHub(),
      machines: { connect: async () => err('machines.unknown', 'not here', 'none') },
      now: Date.now,
      onClustersChanged: async () => {},
      context: w.ctx,
    });
    const wrong = await ops.planSetExpected({ cluster: 'lab', votes: 2, confirm: 'lba' });
    expect(!wrong.ok && wrong.error.code).toBe('ops.confirm-mismatch');
    const plan = unwrap(await ops.planSetExpected({ cluster: 'lab', votes: 2, confirm: 'lab' }));
    expect(plan.after.expectedVotes).toBe(2);
    expect(w.commands).toEqual([]);
    const run = unwrap(await ops.runPlan({ planId: plan.id }));
    expect(run.ok).toBe(true);
    expect(run.report?.expected).toEqual({ quorate: true, expectedVotes: 2 });
  });
});

/** What the command printed when it called ops itself (captured before the move). */
const GOLDEN_REFUSED =
  '{"ok":false,"error":{"code":"ops.confirm-mismatch","message":"--confirm must be the cluster name (lab), got \\"lba\\"","hint":"Lowering expected votes can let two halves both act as the cluster. Type the cluster name to confirm."}}\n';
const GOLDEN_DONE =
  '{"ok":true,"verified":true,"resumed":false,"state":"done","plan":{"op":"expected","cluster":"lab","provider":"corosync","files":{},"quorum":{"before":{"nodes":3,"expectedVotes":3,"totalVotes":3,"quorum":2,"canLose":1},"after":{"nodes":3,"expectedVotes":2,"totalVotes":2,"quorum":2,"canLose":0}},"warnings":["Emergency only: with expected votes at 2, this partition acts as the cluster. Make sure the missing nodes are really off.","Reminder: the setting lasts until the next membership change; once the nodes are back, check `quorate status` shows the full expected votes again."],"steps":[{"id":"expected-2@m1","machine":"m1","title":"set expected votes to 2 (runtime only, until the next membership change)"}]},"expectedVotes":2,"quorate":true}\n';
