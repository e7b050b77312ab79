import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuorumtoolStatus, type QuorumtoolStatus } from '../../engine/corosync/tool-quorumtool';
import { minimalCorosyncConf, startCorosync, stopCorosync, waitQuorate } from './corosync';
import { labSupport, labUp, type Lab } from './lab';

const support = labSupport();
if (!support.ok) {
  console.warn(`lab corosync tests skipped: ${support.reason}`);
}

async function status(lab: Lab, host: number): Promise<QuorumtoolStatus> {
  const out = await lab.exec(host, 'corosync-quorumtool -s', { timeoutMs: 10_000 });
  const r = parseQuorumtoolStatus(out.stdout);
  if (!r.ok) {
    throw new Error(`${r.error.message}\n${out.stdout}${out.stderr}`);
  }
  return r.value;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) {
      throw new Error('condition not met in time');
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(!support.ok)('real corosync on lab hosts (startCorosync + the quorumtool parser)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await labUp({ hosts: 3 });
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('brings up a quorate 3-node cluster that every node reports', async () => {
    const pids = await startCorosync(lab, [1, 2, 3], minimalCorosyncConf(lab, [1, 2, 3]));
    expect([...pids.keys()]).toEqual([1, 2, 3]);
    for (const h of [1, 2, 3]) {
      await until(async () => (await status(lab, h)).nodes === 3, 20_000);
      const s = await status(lab, h);
      expect(s.quorate).toBe(true);
      expect(s.votequorum).toMatchObject({ expectedVotes: 3, totalVotes: 3, quorum: 2, activityBlocked: false });
      expect(s.members.find((m) => m.local)?.name).toBe(lab.host(h).name);
    }
  });

  it('shows a cut node inquorate with activity blocked, and the others quorate', async () => {
    await lab.cut(3);
    await waitQuorate(lab, 3, false, 30_000);
    const cut = await status(lab, 3);
    expect(cut.quorate).toBe(false);
    expect(cut.votequorum).toMatchObject({ totalVotes: 1, activityBlocked: true });
    await until(async () => (await status(lab, 1)).nodes === 2, 30_000);
    expect((await status(lab, 1)).quorate).toBe(true);
    await lab.heal(3);
    await until(async () => (await status(lab, 3)).nodes === 3 && (await status(lab, 3)).quorate, 30_000);
  });

  it('stops every corosync it started', async () => {
    await stopCorosync(lab);
    expect(lab.daemons().filter((d) => d.argv[0] === 'corosync')).toEqual([]);
    expect((await lab.exec(1, 'corosync-quorumtool -s', { timeoutMs: 5000 })).exitCode).toBe(1);
  });
});
