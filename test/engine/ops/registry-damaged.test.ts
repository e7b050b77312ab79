/**
 * The state folder against bad names and damaged files: a cluster name never becomes a path outside
 * it, and a damaged registry or journal file is named, with how to repair it, while everything else
 * still loads — in the engine, through the RPC layer and in the CLI (no stack trace).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRpcClient, createRpcServer } from '../../../engine/api/rpc';
import { createTransportPair } from '../../../engine/api/transport';
import { main } from '../../../engine/cli/main';
import type { CliIo } from '../../../engine/cli/io';
import { fileJournalStore } from '../../../engine/ops/journal.fs';
import { listClustersChecked, loadCluster, saveCluster } from '../../../engine/ops/registry.fs';
import { DamagedFileError } from '../../../engine/store/damaged';

let parent: string;
let home: string;
const saved = process.env.QUORATE_HOME;
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'quorate-registry-'));
  home = join(parent, 'home');
  mkdirSync(join(home, 'clusters'), { recursive: true });
  mkdirSync(join(home, 'journal'), { recursive: true });
  process.env.QUORATE_HOME = home;
});
afterEach(() => {
  rmSync(parent, { recursive: true, force: true });
  if (saved === undefined) {
    delete process.env.QUORATE_HOME;
  } else {
    process.env.QUORATE_HOME = saved;
  }
});

const record = (name: string) => ({ name, provider: 'corosync', nodes: { n1: '198.18.0.11' } });

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readStdin: async () => '' };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('cluster names used as paths', () => {
  it('never reads outside the state folder (quorate status ../../x)', async () => {
    // A valid record where ../../x would point: it must not be found.
    writeFileSync(join(parent, 'x.json'), JSON.stringify(record('x')));
    expect(await loadCluster('../x', home)).toBeNull();
    expect(await loadCluster('../../x', home)).toBeNull();
    const r = await cli('status', '../../x');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no cluster named \.\.\/\.\.\/x/);
  });

  it('refuses to write a record under such a name', async () => {
    await expect(saveCluster({ ...record('../evil'), provider: 'corosync' }, home)).rejects.toThrow(
      /not a cluster name/,
    );
  });
});

describe('damaged state files', () => {
  beforeEach(() => {
    writeFileSync(join(home, 'clusters', 'ok.json'), JSON.stringify(record('ok')));
    writeFileSync(join(home, 'clusters', 'lab.json'), '{bad');
    writeFileSync(join(home, 'clusters', 'other.json'), JSON.stringify(record('not-other')));
  });

  it('loads what can be loaded and names each bad file with a repair hint', async () => {
    const { records, damaged } = await listClustersChecked(home);
    expect(records.map((r) => r.name)).toEqual(['ok']);
    expect(damaged.map((d) => d.path)).toEqual([
      join(home, 'clusters', 'lab.json'),
      join(home, 'clusters', 'other.json'),
    ]);
    expect(damaged[0]!.message).toMatch(/lab\.json is damaged: not valid JSON/);
    expect(damaged[0]!.hint).toMatch(/mv .*lab\.json .*lab\.json\.damaged/);
    expect(damaged[1]!.message).toMatch(/not a cluster record/);
  });

  it('the CLI says which file and what to do, without a stack trace', async () => {
    const status = await cli('status', 'lab');
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/^quorate status: .*lab\.json is damaged/);
    expect(status.stderr).toMatch(/\nhint: Move it aside/);
    expect(status.stderr).not.toMatch(/\n\s+at /);
    const list = await cli('clusters');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/ok \(corosync\)/);
    expect(list.stderr).toMatch(/lab\.json is damaged/);
  });

  it('a damaged journal is named with how to repair it, also over RPC (not reported as a bug)', async () => {
    writeFileSync(join(home, 'journal', 'join-lab.json'), '{"opId": "join-lab"');
    const store = fileJournalStore(home);
    await expect(store.load('join-lab')).rejects.toBeInstanceOf(DamagedFileError);
    await expect(store.load('join-lab')).rejects.toThrow(/join-lab\.json is damaged/);
    const [a, b] = createTransportPair();
    const bugs: string[] = [];
    createRpcServer({
      transport: a,
      validators: { resume: () => ({ ok: true, value: null }) },
      handlers: { resume: async () => ({ ok: true, value: await store.load('join-lab') }) },
      events: [],
      onBug: (m) => bugs.push(m),
    });
    const r = await createRpcClient(b).call('resume', null);
    expect(!r.ok && r.error.code).toBe('store.damaged-file');
    expect(!r.ok && r.error.hint).toMatch(/quorate status CLUSTER/);
    expect(bugs).toEqual([]);
  });
});
