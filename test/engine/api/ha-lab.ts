/**
 * Set-up shared by the HA lab tests and the HA bench: a corosync cluster made by Quorate itself
 * (engine/ops, real SSH). Pre-flight measures latency for real; on this 2-core machine shared by
 * other labs a sample can exceed the 5 ms LAN limit under load, so a pre-flight refusal is retried
 * (twice, after a pause) — any other failure is not.
 */
import { createCluster } from '../../../engine/ops/operations';
import type { LabOps } from '../ops/lab-ops';

export async function createClusterForHa(ops: LabOps, name: string, machines: readonly string[]): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await createCluster(ops.ctx, { name, machines });
    if (r.ok) {
      return;
    }
    last = `${r.error.code}: ${r.error.message}`;
    if (r.error.code !== 'preflight.failed') {
      break;
    }
    await new Promise((res) => setTimeout(res, 5000));
  }
  throw new Error(`create ${name} failed: ${last}`);
}
