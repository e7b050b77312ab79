import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileJournalStore } from '../../../engine/ops/journal.fs';
import type { Plan } from '../../../engine/ops/plan';
import { runOn, withRunners, type OpsContext } from '../../../engine/ops/run';
import { ok } from '../../../engine/result';
import type { CommandRunner } from '../../../engine/ssh/runner';

describe('a step marked undoOnFailure', () => {
  it('rolls the operation back at once when it fails, newest undo first', async () => {
    const home = mkdtempSync(join(tmpdir(), 'quorate-undo-'));
    const ran: string[] = [];
    const runner: CommandRunner = {
      label: 'm1',
      run: async (command) => {
        ran.push(command);
        return ok({
          stdout: '',
          stderr: command === 'exit 1' ? 'boom' : '',
          exitCode: command === 'exit 1' ? 1 : 0,
          signal: null,
        });
      },
      upload: async () => ok(undefined),
      close: async () => {},
    };
    const ctx: OpsContext = { home, journal: fileJournalStore(home), connect: async () => ok(runner) };
    const plan: Plan = {
      op: 'remove',
      cluster: 'lab',
      provider: 'corosync',
      steps: [
        {
          id: 'a',
          machine: 'm1',
          title: 'a',
          action: { kind: 'run', command: 'echo a' },
          rollback: { kind: 'run', command: 'echo undo-a' },
        },
        {
          id: 'b',
          machine: 'm1',
          title: 'b',
          action: { kind: 'run', command: 'echo b' },
          rollback: { kind: 'run', command: 'echo undo-b' },
        },
        { id: 'c', machine: 'm1', title: 'c', action: { kind: 'run', command: 'exit 1' }, undoOnFailure: true },
      ],
      files: {},
      before: null,
      after: { nodes: 1, expectedVotes: 1, totalVotes: 1, quorum: 1, canLose: 0 },
      warnings: [],
      machines: {},
      request: 'remove x',
    };
    const r = await withRunners(ctx, (runners) =>
      runOn(ctx, runners, {
        plan,
        basis: { confPath: '/etc/corosync/corosync.conf', versions: {}, members: null, membersFrom: [] },
        finish: async (_c, x) => x,
      }),
    );
    expect(!r.ok && r.error.message).toMatch(/the change was rolled back/);
    expect(ran.filter((c) => c.startsWith('echo'))).toEqual(['echo a', 'echo b', 'echo undo-b', 'echo undo-a']);
    expect((await ctx.journal.load('remove-lab'))?.state).toBe('rolled-back');
    rmSync(home, { recursive: true, force: true });
  });
});
