/**
 * Web Notifications in the browser tab (Chromium over the real browser host and engine service):
 * the one-time question, the permission granted as a user's "Allow" would, a notice from the engine
 * shown as a notification, and its click focusing the dashboard of that cluster. Playwright grants
 * the permission; an init script records each Notification the page creates (the real constructor
 * still runs) so the test can observe and click it.
 */
import { describe, expect } from 'vitest';
import type { Notice } from '../../engine/api/contract';
import { e2eUnavailable, ensureRendererBuilt, test } from './fixtures';

const skipWhy = e2eUnavailable();
if (skipWhy) {
  console.log(`web notifications e2e skipped: ${skipWhy}`);
}

declare global {
  interface Window {
    __notes?: { title: string; body: string; click(): void }[];
  }
}

describe.skipIf(skipWhy !== undefined)('notifications outside the window (browser tab)', () => {
  test('asks once with a reason, then shows a notice as a notification whose click opens the dashboard', async ({
    app,
    browserHost,
  }) => {
    ensureRendererBuilt();
    const { page } = app;
    const origin = `http://127.0.0.1:${browserHost.host.port}`;
    await page.context().grantPermissions(['notifications'], { origin });
    await page.addInitScript(() => {
      const Real = window.Notification;
      window.__notes = [];
      class Recorded extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          window.__notes!.push({ title, body: options?.body ?? '', click: () => this.onclick?.(new Event('click')) });
        }
      }
      Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
      Recorded.requestPermission = Real.requestPermission.bind(Real);
      window.Notification = Recorded as typeof Notification;
    });
    await page.goto(browserHost.host.loginUrl());
    await page.getByTestId('nav-settings').waitFor();
    // Granted already (as by an earlier "Allow"): no question; otherwise the question says why.
    const ask = page.getByTestId('web-notify-ask');
    if (await ask.isVisible()) {
      await expect(ask.textContent()).resolves.toMatch(/loses quorum .* background/);
      await page.getByTestId('web-notify-allow').click();
    }
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('web-notify-on').waitFor();
    await page.getByTestId('nav-machines').click();

    const notice: Notice = {
      kind: 'quorum-lost',
      cluster: 'web',
      at: Date.now(),
      severity: 'critical',
      title: 'web: quorum lost',
      body: 'No partition of web holds a majority of votes.',
      guidance: ['Restore power or network to the missing nodes first.'],
    };
    browserHost.service.events.emit('onDidNotify', notice);
    await page.waitForFunction(() => (window.__notes?.length ?? 0) > 0, undefined, { timeout: 10_000 });
    const notes = await page.evaluate(() => window.__notes!.map((n) => ({ title: n.title, body: n.body })));
    expect(notes).toEqual([
      { title: 'web: quorum lost', body: expect.stringContaining('First: Restore power or network') },
    ]);
    await page.evaluate(() => window.__notes![0]!.click());
    await page.waitForFunction(() => location.hash === '#/dashboard?cluster=web');
    await app.screenshot('web-notification-clicked');
    expect(app.problems.filter((p) => !/favicon/.test(p))).toEqual([]);
  });
});
