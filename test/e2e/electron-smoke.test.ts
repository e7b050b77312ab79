/**
 * Electron smoke test: where an Electron binary exists, start the built app with a fresh
 * QUORATE_HOME and check the window's security settings and that `window.quorate` is exactly the
 * contract. Where there is none (ELECTRON_SKIP_BINARY_DOWNLOAD, as on CI here), it says why and skips.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { apiMethodNames } from '../../engine/api/contract';
import { findElectron } from '../../build/start.js';
import { artefactsDir, ensureRendererBuilt, repoRoot } from './fixtures';

const found = findElectron();
const skipWhy = found.path ? undefined : `no Electron binary: ${found.why}`;
if (skipWhy) {
  console.log(`electron-smoke skipped: ${skipWhy}`);
}

describe.skipIf(skipWhy !== undefined)('the Electron app', () => {
  it('opens a sandboxed window whose window.quorate is exactly the contract', async () => {
    ensureRendererBuilt();
    if (!existsSync(join(repoRoot, 'dist', 'electron', 'main.cjs'))) {
      const { spawnSync } = await import('node:child_process');
      spawnSync(process.execPath, [join(repoRoot, 'build', 'build.js'), 'electron'], {
        cwd: repoRoot,
        stdio: 'inherit',
      });
    }
    const home = mkdtempSync(join(tmpdir(), 'quorate-electron-'));
    // A cleaned environment: nothing from the test runner's Node options leaks into Electron.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? home,
      QUORATE_HOME: home,
    };
    if (process.env.DISPLAY) {
      env.DISPLAY = process.env.DISPLAY;
    }
    const app = await electron.launch({ executablePath: found.path!, args: [repoRoot, '--no-sandbox'], env });
    try {
      const page = await app.firstWindow();
      await page.waitForLoadState('domcontentloaded');
      expect(await page.title()).toBe('Quorate');
      const exposed = await page.evaluate(() => Object.keys((window as unknown as { quorate: object }).quorate).sort());
      expect(exposed).toEqual([...apiMethodNames, 'on'].sort());
      expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
      expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
      const listed = await page.evaluate(() =>
        (window as unknown as { quorate: { listMachines(): Promise<unknown> } }).quorate.listMachines(),
      );
      expect(listed).toEqual({ ok: true, value: [] });
      await page.screenshot({ path: join(artefactsDir, 'electron-smoke.png') });
    } finally {
      await app.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
