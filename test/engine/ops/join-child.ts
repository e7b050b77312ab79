/**
 * Runs `join` in a child process so a lab test can SIGKILL it mid-way (a real interruption, not an
 * abort): `tsx join-child.ts HOME KEYPATH CLUSTER MACHINE`. Prints one JSON line per step event.
 */
import { joinCluster } from '../../../engine/ops/operations';
import { labOps } from './lab-ops';

const [home, keyPath, name, machine] = process.argv.slice(2) as [string, string, string, string];
const ops = labOps(
  { sshKey: { privateKeyPath: keyPath, privateKey: '', publicKey: '' } },
  { home, onEvent: (e) => console.log(JSON.stringify(e)) },
);
const r = await joinCluster(ops.ctx, { name, machines: [machine] });
console.log(JSON.stringify({ result: r.ok ? 'ok' : r.error }));
