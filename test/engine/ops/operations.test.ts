import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { joinCluster, type OpsContext } from '../../../engine/ops/operations';
import type { Journal } from '../../../engine/ops/journal';
import { err } from '../../../engine/result';

describe('operations', () => {
  it('refuses to start a different join while an interrupted one is unfinished, touching no machine', async () => {
    const journal: Journal = {
      opId: 'join-lab',
      state: 'running',
      done: ['a'],
      startedAt: '',
      updatedAt: '',
      plan: {
        op: 'join',
        cluster: 'lab',
        provider: 'corosync',
        steps: [],
        files: {},
        before: null,
        after: { nodes: 4, expectedVotes: 4, totalVotes: 4, quorum: 3, canLose: 1 },
        warnings: [],
        machines: {},
        request: 'join 198.18.9.4',
      },
    };
    let connects = 0;
    const home = mkdtempSync(join(tmpdir(), 'quorate-ops-'));
    const ctx: OpsContext = {
      home,
      journal: { load: async () => journal, save: async () => {} },
      connect: async () => {
        connects++;
        return err('ssh.unreachable', 'no', 'no');
      },
    };
    const r = await joinCluster(ctx, { name: 'lab', machines: ['198.18.9.5'] });
    expect(!r.ok && r.error.code).toBe('ops.unfinished-other');
    expect(!r.ok && r.error.message).toContain('join 198.18.9.4');
    expect(connects).toBe(0);
    rmSync(home, { recursive: true, force: true });
  });
});
