/**
 * UI figures, both through the real browser host over the real engine service in Debian's Chromium:
 * - the renderer's first paint: `first-contentful-paint` from the Performance API of a cold page
 *   load (median of 5 fresh browser contexts), empty QUORATE_HOME. Target < 1 s.
 * - on the lab (root only): the delay from corosync's own log line saying a node lost quorum
 *   ("This node is within the non-primary component", its millisecond timestamp) to the quorum-lost
 *   banner appearing in the page (a MutationObserver's Date.now()). Same machine, same clock.
 *   Target < 1 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createQuorateService, endpointFor } from '../../engine/api/service';
import { startBrowserHost } from '../../engine/host/browser-host.net';
import { memorySecrets } from '../../engine/store';
import { chromiumMissing, launchChromium } from '../e2e/chromium';
import { e2eUnavailable, ensureRendererBuilt, rendererDir } from '../e2e/renderer-build';
import { labSupport, labUp } from '../lab/lab';
import type { BenchFigure } from './run';

const RUNS = 5;

export default async function uiBench(): Promise<BenchFigure[]> {
  return [...(await firstPaint()), await bannerDelay()];
}

async function firstPaint(): Promise<BenchFigure[]> {
  const name = 'renderer first contentful paint (browser host)';
  const skip = e2eUnavailable() ?? chromiumMissing();
  if (skip) {
    return [{ name, value: Number.NaN, unit: 'ms', target: '< 1000 ms', skipped: skip }];
  }
  ensureRendererBuilt();
  const home = mkdtempSync(join(tmpdir(), 'quorate-bench-ui-'));
  const service = createQuorateService({ home, secrets: memorySecrets() });
  const host = await startBrowserHost({ rendererDir, endpoint: endpointFor(service) });
  if (!host.ok) {
    throw new Error(host.error.message);
  }
  const browser = await launchChromium();
  try {
    const paints: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(host.value.loginUrl(), { waitUntil: 'load' });
      const fcp = await page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            const found = performance.getEntriesByName('first-contentful-paint')[0];
            if (found) {
              return resolve(found.startTime);
            }
            new PerformanceObserver((list) => {
              const e = list.getEntriesByName('first-contentful-paint')[0];
              if (e) {
                resolve(e.startTime);
              }
            }).observe({ type: 'paint', buffered: true });
            setTimeout(() => resolve(Number.NaN), 5_000);
          }),
      );
      paints.push(fcp);
      await context.close();
    }
    const sorted = paints.filter((p) => Number.isFinite(p)).sort((a, b) => a - b);
    if (sorted.length === 0) {
      return [{ name, value: Number.NaN, unit: 'ms', target: '< 1000 ms', skipped: 'the page never painted content' }];
    }
    return [
      {
        name: `${name}, median of ${sorted.length}`,
        value: sorted[Math.floor(sorted.length / 2)]!,
        unit: 'ms',
        target: '< 1000 ms',
      },
    ];
  } finally {
    await browser.close();
    await host.value.close();
    await service.dispose();
    rmSync(home, { recursive: true, force: true });
  }
}

async function bannerDelay(): Promise<BenchFigure> {
  const name = 'corosync quorum-loss log line → banner (lab, 3 nodes)';
  const target = '< 1000 ms';
  const support = labSupport();
  const skip = e2eUnavailable() ?? chromiumMissing() ?? (support.ok ? undefined : support.reason);
  if (skip) {
    return { name, value: Number.NaN, unit: 'ms', target, skipped: skip };
  }
  ensureRendererBuilt();
  const lab = await labUp({ hosts: 3 });
  const home = mkdtempSync(join(tmpdir(), 'quorate-bench-banner-'));
  const service = createQuorateService({ home, secrets: memorySecrets() });
  const host = await startBrowserHost({ rendererDir, endpoint: endpointFor(service) });
  const browser = await launchChromium();
  try {
    if (!host.ok) {
      throw new Error(host.error.message);
    }
    const h = service.handlers;
    for (const x of lab.hosts) {
      const added = await h.addMachine({
        address: x.address,
        user: 'root',
        auth: { kind: 'password', password: x.rootPassword },
      });
      if (!added.ok || !added.value.hostKey) {
        throw new Error(`add ${x.address}: ${added.ok ? 'no host key' : added.error.message}`);
      }
      const trusted = await h.trustMachine({ address: x.address, fingerprint: added.value.hostKey.fingerprint });
      if (!trusted.ok) {
        throw new Error(`trust ${x.address}: ${trusted.error.message}`);
      }
    }
    const boot = await h.bootstrap({ addresses: lab.hosts.map((x) => x.address) });
    if (!boot.ok || boot.value.machines.some((m) => !m.ok)) {
      throw new Error(`bootstrap: ${JSON.stringify(boot)}`);
    }
    const plan = await h.planCreateCluster({
      name: 'bench',
      nodes: lab.hosts.map((x) => ({ address: x.address })),
      links: [{ linknumber: 0, network: `198.18.${lab.id}.0/24` }],
    });
    if (!plan.ok) {
      throw new Error(plan.error.message);
    }
    const run = await h.runPlan({ planId: plan.value.id });
    if (!run.ok || !run.value.ok) {
      throw new Error(`create: ${JSON.stringify(run)}`);
    }

    const page = await browser.newPage();
    await page.goto(host.value.loginUrl());
    await page.getByTestId('nav-dashboard').click();
    await page.locator('[data-testid="quorum-card"][data-quorate="true"]').waitFor({ timeout: 60_000 });
    await page.evaluate(() => {
      const w = window as unknown as { bannerAt?: number };
      new MutationObserver(() => {
        if (
          w.bannerAt === undefined &&
          document.querySelector('[data-testid="quorum-banner"][data-kind="quorum-lost"]')
        ) {
          w.bannerAt = Date.now();
        }
      }).observe(document.body, { childList: true, subtree: true, attributes: true });
    });
    const cutAt = Date.now();
    await lab.cut(2);
    await lab.cut(3);
    await page.locator('[data-testid="quorum-banner"][data-kind="quorum-lost"]').waitFor({ timeout: 60_000 });
    const bannerAt = await page.evaluate(() => (window as unknown as { bannerAt?: number }).bannerAt ?? Number.NaN);
    const log = (await lab.exec(1, 'cat /var/log/quorate/corosync.log')).stdout;
    const logAt = lastQuorumLossLine(log, cutAt);
    if (logAt === undefined) {
      return {
        name,
        value: Number.NaN,
        unit: 'ms',
        target,
        skipped: "no quorum-loss line in node1's corosync log after the cut",
      };
    }
    return { name, value: bannerAt - logAt, unit: 'ms', target };
  } finally {
    await browser.close();
    if (host.ok) {
      await host.value.close();
    }
    await service.dispose();
    await lab.down();
    rmSync(home, { recursive: true, force: true });
  }
}

/** Epoch ms of the last "non-primary component" line at or after `after` (corosync's stderr format, local time). */
function lastQuorumLossLine(log: string, after: number): number | undefined {
  let found: number | undefined;
  const year = new Date(after).getFullYear();
  for (const line of log.split('\n')) {
    if (!line.includes('[QUORUM] This node is within the non-primary component')) {
      continue;
    }
    const m = /^(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d)\.(\d{3})/.exec(line);
    if (!m) {
      continue;
    }
    const at = new Date(`${m[1]} ${m[2]} ${year} ${m[3]}:${m[4]}:${m[5]}`).getTime() + Number(m[6]);
    if (at >= after - 1000) {
      found = at;
    }
  }
  return found;
}
