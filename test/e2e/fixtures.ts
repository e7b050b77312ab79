/**
 * End-to-end fixtures (vitest `test.extend`, Playwright's fixture idea): a fresh QUORATE_HOME per
 * test, the real browser host (loopback, random token) over the real engine service, and Debian's
 * Chromium through playwright-core with console errors collected and a screenshot kept under
 * test-results/e2e/. Everything a test starts is stopped and removed after it, also when it fails.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { test as base } from 'vitest';
import type { QuorateService, ServiceOptions } from '../../engine/api/service';
import { createQuorateService, endpointFor } from '../../engine/api/service';
import type { BrowserHost } from '../../engine/host/browser-host.net';
import { startBrowserHost } from '../../engine/host/browser-host.net';
import { memorySecrets } from '../../engine/store';
import { launchChromium } from './chromium';
import { artefactsDir, rendererDir } from './renderer-build';

export { artefactsDir, e2eUnavailable, ensureRendererBuilt, rendererDir, repoRoot } from './renderer-build';

export interface HostFixture {
  readonly host: BrowserHost;
  readonly service: QuorateService;
  /** The fresh QUORATE_HOME of this test. */
  readonly home: string;
}

export interface AppPage {
  readonly page: Page;
  /** Console errors, page errors and failed requests seen so far. */
  readonly problems: string[];
  /** API frames the page sent and received over the WebSocket, parsed. */
  readonly frames: {
    readonly direction: 'sent' | 'received';
    readonly at: number;
    readonly message: Record<string, unknown>;
  }[];
  /** Saves test-results/e2e/<name>.png. */
  screenshot(name: string): Promise<string>;
}

interface Fixtures {
  serviceOptions: Partial<ServiceOptions>;
  home: string;
  browserHost: HostFixture;
  app: AppPage;
}

interface WorkerFixtures {
  browser: Browser;
}

export const test = base.extend<Fixtures & WorkerFixtures>({
  // Tests override this with `test.scoped({ serviceOptions: … })`.
  // eslint-disable-next-line no-empty-pattern -- vitest reads fixture dependencies from the pattern
  serviceOptions: async ({}, use) => use({}),
  browser: [
    // eslint-disable-next-line no-empty-pattern -- vitest reads fixture dependencies from the pattern
    async ({}, use) => {
      const browser = await launchChromium();
      try {
        await use(browser);
      } finally {
        await browser.close();
      }
    },
    { scope: 'worker' },
  ],
  // eslint-disable-next-line no-empty-pattern -- vitest reads fixture dependencies from the pattern
  home: async ({}, use) => {
    const home = mkdtempSync(join(tmpdir(), 'quorate-e2e-home-'));
    try {
      await use(home);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
  browserHost: async ({ home, serviceOptions }, use) => {
    const service = createQuorateService({ home, secrets: memorySecrets(), sshTimeoutMs: 5_000, ...serviceOptions });
    const started = await startBrowserHost({
      rendererDir,
      endpoint: endpointFor(service),
      onBug: (m, e) => console.error(`bug in ${m}:`, e),
    });
    if (!started.ok) {
      throw new Error(`${started.error.code}: ${started.error.message}`);
    }
    try {
      await use({ host: started.value, service, home });
    } finally {
      await started.value.close();
      await service.dispose();
    }
  },
  app: async ({ browser, browserHost }, use) => {
    void browserHost;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems: string[] = [];
    const frames: AppPage['frames'] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') {
        problems.push(`console: ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('websocket', (ws) => {
      const parse =
        (direction: 'sent' | 'received') =>
        (f: { payload: string | Buffer }): void => {
          try {
            frames.push({
              direction,
              at: Date.now(),
              message: JSON.parse(String(f.payload)) as Record<string, unknown>,
            });
          } catch {
            frames.push({ direction, at: Date.now(), message: { unparsable: String(f.payload).slice(0, 200) } });
          }
        };
      ws.on('framesent', parse('sent'));
      ws.on('framereceived', parse('received'));
    });
    mkdirSync(artefactsDir, { recursive: true });
    try {
      await use({
        page,
        problems,
        frames,
        screenshot: async (name) => {
          const path = join(artefactsDir, `${name}.png`);
          await page.screenshot({ path, fullPage: true });
          return path;
        },
      });
    } finally {
      await context.close();
    }
  },
});

/** The result frame answering the first call of `method`, once it has arrived. */
export function resultOf(app: AppPage, method: string): Record<string, unknown> | undefined {
  const call = app.frames.find(
    (f) => f.direction === 'sent' && f.message.kind === 'call' && f.message.method === method,
  );
  if (!call) {
    return undefined;
  }
  return app.frames.find(
    (f) => f.direction === 'received' && f.message.kind === 'result' && f.message.id === call.message.id,
  )?.message;
}
