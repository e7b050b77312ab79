/**
 * The CLI's agent commands on lab hosts through real sshd: `bootstrap` two machines in parallel with
 * per-machine progress on stderr, `facts`, `probe` between them, `uninstall`. The fixed JSON shapes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runBootstrapCommand,
  runFactsCommand,
  runProbeCommand,
  runUninstallCommand,
  type AgentCommandDeps,
} from '../../../engine/cli/agent-commands';
import type { CliIo } from '../../../engine/cli/io';
import { labSupport, labUp, type Lab } from '../../lab/lab';
import { buildBundle } from '../agent/agent-process';
import { addToQuorate } from './lab-sessions';
import { withService } from '../../../engine/cli/service';
import { memorySecrets } from '../../../engine/store';

const support = labSupport();
if (!support.ok) {
  console.warn(`agent CLI lab tests skipped: ${support.reason}`);
}

function capture(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (t: string) => {
      io.out += t;
    },
    stderr: (t: string) => {
      io.err += t;
    },
    readStdin: async () => '',
  };
  return io;
}

describe.skipIf(!support.ok)('quorate bootstrap / facts / probe / uninstall', () => {
  let lab: Lab;
  let dir: string;
  let deps: AgentCommandDeps;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quorate-agent-cli-lab-'));
    buildBundle(join(dir, 'quorate-agent.cjs'));
    lab = await labUp({ hosts: 2 });
    // The machines are added as a user adds them; the commands then reach them as they were added.
    deps = { home: join(dir, 'home'), secrets: memorySecrets(), agentBundlePath: join(dir, 'quorate-agent.cjs') };
    await withService(deps, async (service) => {
      for (const h of lab.hosts) {
        await addToQuorate(service.handlers, h);
      }
    });
  });

  afterAll(async () => {
    await lab?.down();
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bootstraps machines in parallel, progress per machine on stderr, JSON on stdout', async () => {
    const [a, b] = lab.hosts.map((h) => h.address) as [string, string];
    const io = capture();
    expect(await runBootstrapCommand([a, b, '--json'], io, deps)).toBe(0);
    const out = JSON.parse(io.out) as {
      machines: { address: string; ok: boolean; action: string; agentPid: number }[];
    };
    expect(out.machines.map((m) => [m.address, m.ok, m.action])).toEqual([
      [a, true, 'install'],
      [b, true, 'install'],
    ]);
    for (const addr of [a, b]) {
      expect(io.err).toMatch(new RegExp(`^${addr.replace(/\./g, '\\.')}: done: installed agent`, 'm'));
    }
    const again = capture();
    expect(await runBootstrapCommand([a, '--json'], again, deps)).toBe(0);
    expect(JSON.parse(again.out).machines[0]).toMatchObject({
      action: 'unchanged',
      agentPid: out.machines[0]!.agentPid,
    });
  });

  it('prints facts as JSON', async () => {
    const io = capture();
    expect(await runFactsCommand([lab.host(2).address, '--json'], io, deps)).toBe(0);
    const out = JSON.parse(io.out) as { address: string; facts: { hostname: { ok: boolean; value: string } } };
    expect(out).toMatchObject({ address: lab.host(2).address, facts: { hostname: { ok: true, value: 'node2' } } });
  });

  it('probes UDP from one machine to another', async () => {
    const io = capture();
    expect(
      await runProbeCommand(
        [lab.host(1).address, lab.host(2).address, '--port', '5409', '--count', '10', '--interval', '5', '--json'],
        io,
        deps,
      ),
    ).toBe(0);
    const out = JSON.parse(io.out) as Record<string, unknown>;
    expect(out).toMatchObject({
      from: lab.host(1).address,
      to: lab.host(2).address,
      port: 5409,
      sent: 10,
      received: 10,
      lossPercent: 0,
    });
    expect(out.rttAvgMs as number).toBeGreaterThan(0);
  });

  it('uninstalls, then facts explain that no agent answers', async () => {
    const io = capture();
    expect(await runUninstallCommand([lab.host(1).address, lab.host(2).address, '--json'], io, deps)).toBe(0);
    const out = JSON.parse(io.out) as { machines: { ok: boolean; removed: string[] }[] };
    expect(out.machines.every((m) => m.ok && m.removed.includes('/usr/local/lib/quorate-agent'))).toBe(true);
    const facts = capture();
    expect(await runFactsCommand([lab.host(1).address], facts, deps)).toBe(1);
    expect(facts.err).toMatch(/did not answer facts[\s\S]*hint: install or start it with: quorate bootstrap ADDR/);
  });
});
