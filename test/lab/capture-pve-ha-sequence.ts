/**
 * Records what `ha-manager status` says on the Proxmox VE stand-in (test/lab/pve/, real corosync,
 * its CRM/LRM daemons) while the node of an HA guest is cut and the guest is recovered elsewhere:
 * every distinct output of a survivor and of the cut node, polled every 500 ms. Written to
 * test/engine/ha/sequences/pve-recovery.json; the HA differ's tests replay it
 * (test/engine/ha/pve-recorded.test.ts). Run as root, through the lab slot:
 * `/work/bin/labslot npx tsx test/lab/capture-pve-ha-sequence.ts` (≈ 1.5 min).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitQuorumOn } from '../engine/ops/lab-ops';
import { labUp, type Lab } from './lab';

const OUT = fileURLToPath(new URL('../engine/ha/sequences/', import.meta.url));

interface Sample {
  /** ms since the cut. */
  readonly t: number;
  readonly node: string;
  readonly stdout: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The output without its timestamps: a new sample only when something else changed. */
const norm = (out: string): string => out.replace(/\(([^,()]+), [^()]*\d{4}\)/g, '($1)');

async function sh(lab: Lab, i: number, cmd: string, timeoutMs = 120_000): Promise<string> {
  const r = await lab.exec(i, cmd, { timeoutMs });
  if (r.exitCode !== 0) {
    throw new Error(`node${i}: ${cmd}: ${r.stderr}`);
  }
  return r.stdout;
}

async function main(): Promise<void> {
  const lab = await labUp({ hosts: 3, pve: [1, 2, 3] });
  try {
    const addr = (i: number): string => lab.host(i).address;
    await sh(lab, 1, `cd && pvecm create pvelab --link0 ${addr(1)}`);
    for (const i of [2, 3]) {
      await sh(lab, i, `cd && pvecm add ${addr(1)} --link0 ${addr(i)} --use_ssh 1`, 180_000);
      await waitQuorumOn(lab, 1, (q) => q.quorate && q.members.length === i, 90_000);
    }
    for (const i of [1, 2, 3]) {
      await waitQuorumOn(lab, i, (q) => q.quorate && q.members.length === 3, 90_000);
    }
    await sh(
      lab,
      1,
      `printf 'name: web\\nmemory: 2048\\nscsi0: ceph:vm-100-disk-0,size=32G\\n' > /etc/pve/nodes/node2/qemu-server/100.conf`,
    );
    await sh(
      lab,
      1,
      `printf 'name: db\\nmemory: 2048\\nscsi0: ceph:vm-101-disk-0,size=32G\\n' > /etc/pve/nodes/node3/qemu-server/101.conf`,
    );
    await sh(lab, 1, 'ha-manager add vm:100 --state started && ha-manager add vm:101 --state started');
    let before = '';
    for (let k = 0; k < 60; k++) {
      before = await sh(lab, 1, 'ha-manager status');
      if (
        /vm:100 \(node2, started\)/.test(before) &&
        /vm:101 \(node3, started\)/.test(before) &&
        /^master/m.test(before)
      ) {
        break;
      }
      await sleep(1000);
    }
    const master = /^master (node\d)/m.exec(before)?.[1];
    // Cut the node of a guest that is not the master's, so the master stays and the fence phase shows.
    const lost = master === 'node2' ? 3 : 2;
    const survivor = [1, 2, 3].find((i) => i !== lost)!;
    const samples: Sample[] = [{ t: 0, node: `node${survivor}`, stdout: before }];
    const start = Date.now();
    await lab.cut(lost);
    const last = new Map<number, string>([[survivor, norm(before)]]);
    for (;;) {
      for (const i of [survivor, lost]) {
        const out = (await lab.exec(i, 'ha-manager status', { timeoutMs: 10_000 })).stdout;
        if (out && last.get(i) !== norm(out)) {
          last.set(i, norm(out));
          samples.push({ t: Date.now() - start, node: `node${i}`, stdout: out });
        }
      }
      const now = last.get(survivor) ?? '';
      // Done once the cut node's guest runs on another node.
      const guest = lost === 2 ? 'vm:100' : 'vm:101';
      if (new RegExp(`${guest} \\((?!node${lost})node\\d, started\\)`).test(now) || Date.now() - start > 180_000) {
        break;
      }
      await sleep(500);
    }
    mkdirSync(OUT, { recursive: true });
    const file = `${OUT}pve-recovery.json`;
    writeFileSync(file, `${JSON.stringify({ lost: `node${lost}`, master, samples }, null, 2)}\n`);
    console.log(`${samples.length} samples → ${file}`);
  } finally {
    await lab.down();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
