/**
 * The renderer's first paint in the browser host: the real `startBrowserHost` over the real engine
 * service (empty QUORATE_HOME), Debian's Chromium, `first-contentful-paint` from the Performance API
 * of a cold page load (median of 5 fresh browser contexts). Target < 1 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createQuorateService, endpointFor } from '../../engine/api/service';
import { startBrowserHost } from '../../engine/host/browser-host.net';
import { memorySecrets } from '../../engine/store';
import { chromiumMissing, launchChromium } from '../e2e/chromium';
import { e2eUnavailable, ensureRendererBuilt, rendererDir } from '../e2e/renderer-build';
import type { BenchFigure } from './run';

const RUNS = 5;

export default async function uiBench(): Promise<BenchFigure[]> {
  const name = 'renderer first contentful paint (browser host)';
  const skip = e2eUnavailable() ?? chromiumMissing();
  if (skip) return [{ name, value: Number.NaN, unit: 'ms', target: '< 1000 ms', skipped: skip }];
  ensureRendererBuilt();
  const home = mkdtempSync(join(tmpdir(), 'quorate-bench-ui-'));
  const service = createQuorateService({ home, secrets: memorySecrets() });
  const host = await startBrowserHost({ rendererDir, endpoint: endpointFor(service) });
  if (!host.ok) throw new Error(host.error.message);
  const browser = await launchChromium();
  try {
    const paints: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(host.value.url, { waitUntil: 'load' });
      const fcp = await page.evaluate(() => new Promise<number>((resolve) => {
        const found = performance.getEntriesByName('first-contentful-paint')[0];
        if (found) return resolve(found.startTime);
        new PerformanceObserver((list) => {
          const e = list.getEntriesByName('first-contentful-paint')[0];
          if (e) resolve(e.startTime);
        }).observe({ type: 'paint', buffered: true });
        setTimeout(() => resolve(Number.NaN), 5_000);
      }));
      paints.push(fcp);
      await context.close();
    }
    const sorted = paints.filter((p) => Number.isFinite(p)).sort((a, b) => a - b);
    if (sorted.length === 0) return [{ name, value: Number.NaN, unit: 'ms', target: '< 1000 ms', skipped: 'the page never painted content' }];
    return [{ name: `${name}, median of ${sorted.length}`, value: sorted[Math.floor(sorted.length / 2)]!, unit: 'ms', target: '< 1000 ms' }];
  } finally {
    await browser.close();
    await host.value.close();
    await service.dispose();
    rmSync(home, { recursive: true, force: true });
  }
}
