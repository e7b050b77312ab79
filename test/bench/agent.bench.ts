/**
 * Agent figures on lab hosts: bootstrap time (SSH login + install, Node present) for 1 host and for 5
 * in parallel, and the installed agent's idle RSS. Prints a skip reason where the lab cannot run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentBundle } from '../../engine/bootstrap/bundle.fs';
import { installAgent, uninstallAgent } from '../../engine/bootstrap/executor';
import { unwrap } from '../../engine/result';
import { buildBundle } from '../engine/agent/agent-process';
import { sshTo } from '../engine/bootstrap/lab-sessions';
import { labSupport, labUp, type Lab, type LabHost } from '../lab/lab';
import type { BenchFigure } from './run';

const names = {
  one: 'bootstrap 1 host (ssh login + install)',
  five: 'bootstrap 5 hosts in parallel',
  ratio: 'bootstrap 5 hosts / 1 host',
  rss: 'agent idle RSS (VmRSS)',
};

async function bootstrap(
  host: LabHost,
  bundle: Awaited<ReturnType<typeof loadAgentBundle>> & { ok: true },
): Promise<void> {
  const s = await sshTo(host);
  try {
    const r = unwrap(await installAgent(s, bundle.value));
    if (r.action !== 'install') {
      throw new Error(`${host.name}: expected a fresh install, got ${r.action}`);
    }
  } finally {
    await s.close();
  }
}

export default async function agentBench(): Promise<BenchFigure[]> {
  const support = labSupport();
  if (!support.ok) {
    return Object.values(names).map((name) => ({ name, value: Number.NaN, unit: '', skipped: support.reason }));
  }
  const dir = mkdtempSync(join(tmpdir(), 'quorate-agent-bench-'));
  let lab: Lab | undefined;
  try {
    buildBundle(join(dir, 'quorate-agent.cjs'));
    const bundle = await loadAgentBundle(join(dir, 'quorate-agent.cjs'));
    if (!bundle.ok) {
      throw new Error(bundle.error.message);
    }
    lab = await labUp({ hosts: 5 });
    const l = lab;

    let t = performance.now();
    await bootstrap(l.host(1), bundle);
    const one = performance.now() - t;
    // Back to a bare host, so the five-host run installs everywhere.
    const s = await sshTo(l.host(1));
    unwrap(await uninstallAgent(s));
    await s.close();

    t = performance.now();
    await Promise.all(l.hosts.map((h) => bootstrap(h, bundle)));
    const five = performance.now() - t;

    // Idle: let start-up garbage settle, then read the agent's resident set inside its host.
    await new Promise((r) => setTimeout(r, 3000));
    const rssKb = Number(
      /VmRSS:\s+(\d+)/.exec((await l.exec(1, 'cat /proc/$(cat /run/quorate-agent/agent.pid)/status')).stdout)?.[1],
    );
    return [
      { name: names.one, value: one / 1000, unit: 's', target: '< 10 s' },
      { name: names.five, value: five / 1000, unit: 's', target: '< 10 s' },
      { name: names.ratio, value: five / one, unit: '×', target: '≤ 1.5' },
      { name: names.rss, value: rssKb / 1024, unit: 'MB', target: '< 50 MB' },
    ];
  } finally {
    await lab?.down();
    rmSync(dir, { recursive: true, force: true });
  }
}
