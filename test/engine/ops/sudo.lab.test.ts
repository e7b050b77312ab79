/**
 * Operations through a sudo user (not root) over real SSH: every command and upload goes through
 * `sudo` with the login password (engine/ssh/as-root.ts `asRoot`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labSupport, labUp, type Lab } from '../../lab/lab';
import { asRoot } from '../../../engine/ssh';
import { fileJournalStore } from '../../../engine/ops/journal.fs';
import { clusterStatus, createCluster, type OpsContext } from '../../../engine/ops/operations';
import { connectSsh, probeHostKey } from '../../../engine/ssh';
import { quorumOn } from './lab-ops';

const support = labSupport();
if (!support.ok) {
  console.log(`skipping the sudo-user operations lab test: ${support.reason}`);
}

describe.skipIf(!support.ok)('operations as a sudo user', () => {
  let lab: Lab;
  let home: string;
  beforeAll(async () => {
    lab = await labUp({ hosts: 2, sudoUser: [1, 2] });
    home = mkdtempSync(join(tmpdir(), 'quorate-ops-sudo-'));
  });
  afterAll(async () => {
    await lab?.down();
    if (home) {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('creates a two-node cluster logged in as a password-sudo user, files owned by root', async () => {
    const ctx: OpsContext = {
      home,
      journal: fileJournalStore(home),
      async connect(machine) {
        const h = lab.hosts.find((x) => x.address === machine)!;
        const key = await probeHostKey(machine, 22, { timeoutMs: 15_000 });
        if (!key.ok) {
          return key;
        }
        const s = await connectSsh(
          { address: machine, user: h.sudoUser!.user, auth: { kind: 'password', password: h.sudoUser!.password } },
          { pinnedFingerprint: key.value.fingerprint, timeoutMs: 15_000, keepaliveMs: 0 },
        );
        return s.ok ? { ok: true, value: asRoot(s.value) } : s;
      },
    };
    const r = await createCluster(ctx, { name: 'sudo', machines: [lab.host(1).address, lab.host(2).address] });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    for (const i of [1, 2]) {
      expect((await quorumOn(lab, i))?.quorate).toBe(true);
      expect(
        (await lab.exec(i, 'stat -c %U:%a /etc/corosync/authkey /etc/corosync/corosync.conf')).stdout
          .trim()
          .split('\n'),
      ).toEqual(['root:400', 'root:644']);
    }
    const st = await clusterStatus(ctx, 'sudo');
    expect(st.ok && st.value.nodes.every((n) => n.online)).toBe(true);
  });
});
