/**
 * The app in a browser tab, end to end: the real browser host (loopback, random token) over the
 * real engine service, the built renderer in Debian's Chromium, and a real SSH server (ssh2's, in
 * this process, on 127.0.0.1) behind "Add machine". Screenshots go to test-results/e2e/.
 */
import type { AddressInfo, Socket } from 'node:net';
import { createServer, connect as tcpConnect } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { e2eUnavailable, ensureRendererBuilt, resultOf, test } from './fixtures';
import type { TestSshServer } from './ssh-server';
import { startSshServer } from './ssh-server';

const skipWhy = e2eUnavailable();
if (skipWhy) {
  console.log(`browser e2e skipped: ${skipWhy}`);
}

let ssh: TestSshServer | undefined;

/** After "Add", the app opens the host-key dialog itself; if it does not, the row's button does. */
async function openHostKeyDialog(page: Page): Promise<void> {
  const dialog = page.getByTestId('host-key-dialog');
  const opened = await dialog.waitFor({ timeout: 10_000 }).then(
    () => true,
    () => false,
  );
  if (!opened) {
    await page.getByTestId('confirm-key').click();
  }
  await page.getByTestId('host-key-fingerprint').waitFor();
}

describe.skipIf(skipWhy !== undefined)('the browser host', () => {
  beforeAll(async () => {
    ensureRendererBuilt();
    ssh = await startSshServer({ hostname: 'e2e-node' });
  });
  afterAll(async () => {
    await ssh?.close();
  });

  test('loads the renderer with no console errors and lists machines through the API', async ({ app, browserHost }) => {
    const { page } = app;
    const link = browserHost.host.loginUrl();
    await page.goto(link);
    await page.getByTestId('machines-empty').waitFor();
    // The code left the address bar (303 to the bare path); the session is an HttpOnly cookie.
    expect(new URL(page.url()).search).toBe('');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === browserHost.host.cookieName)).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(resultOf(app, 'listMachines')).toMatchObject({ result: { ok: true, value: [] } });
    expect(browserHost.host.connections()).toBe(1);
    await app.screenshot('machines-empty');
    expect(app.problems).toEqual([]);
  });

  test('refuses a wrong sign-in code: the API stays closed', async ({ app, browserHost }) => {
    const url = new URL(browserHost.host.loginUrl());
    url.searchParams.set('code', 'wrong');
    const refused = await app.page.goto(url.toString());
    expect(refused?.status()).toBe(401);
    await app.page.goto(`http://127.0.0.1:${browserHost.host.port}/`);
    await app.page.waitForTimeout(500);
    expect(browserHost.host.connections()).toBe(0);
    expect(app.frames.filter((f) => f.direction === 'received')).toEqual([]);
    await app.screenshot('wrong-token');
  });

  test('adds a machine, shows its host key for confirmation, then trusts it and logs in', async ({
    app,
    browserHost,
  }) => {
    const { page } = app;
    const server = ssh!;
    await page.goto(browserHost.host.loginUrl());
    await page.getByTestId('add-machine').first().click();
    await page.getByTestId('machine-address').fill('127.0.0.1');
    await page.getByTestId('machine-port').fill(String(server.port));
    await page.getByTestId('machine-user').fill(server.user);
    await page.getByTestId('machine-password').fill(server.password);
    await page.getByTestId('add-machine-submit').click();

    // The fingerprint shown must be the one the server really presents, as OpenSSH spells it.
    const shown = page.getByTestId('host-key-fingerprint');
    await openHostKeyDialog(page);
    expect((await shown.textContent())?.trim()).toBe(server.fingerprint);
    await app.screenshot('host-key-confirmation');
    expect(server.commands).toEqual([]); // nothing ran before the key was confirmed

    await page.getByTestId('trust-host-key').click();
    const row = page.locator('[data-testid="machine"][data-address="127.0.0.1"]');
    await row.and(page.locator('[data-state="trusted"]')).waitFor();
    expect(resultOf(app, 'trustMachine')).toMatchObject({
      result: { ok: true, value: { state: 'trusted', hostname: 'e2e-node' } },
    });
    await expect.poll(async () => row.textContent()).toContain('e2e-node');
    await app.screenshot('machine-trusted');
    expect(app.problems).toEqual([]);
    // The password went into the (test's in-memory) secret store, never into the state file.
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(`${browserHost.home}/state.json`, 'utf8')).not.toContain(server.password);
  });

  test('a wrong password gives the SSH authentication message with what to do', async ({ app, browserHost }) => {
    const { page } = app;
    const server = ssh!;
    await page.goto(browserHost.host.loginUrl());
    await page.getByTestId('add-machine').first().click();
    await page.getByTestId('machine-address').fill('127.0.0.1');
    await page.getByTestId('machine-port').fill(String(server.port));
    await page.getByTestId('machine-user').fill(server.user);
    await page.getByTestId('machine-password').fill('not the password');
    await page.getByTestId('add-machine-submit').click();
    await openHostKeyDialog(page);
    await page.getByTestId('trust-host-key').click();
    const error = page.locator('[data-testid="host-key-error"], [data-testid="machine-error"]').first();
    await error.waitFor();
    expect(await error.textContent()).toMatch(/auth/i);
    expect(resultOf(app, 'trustMachine')).toMatchObject({ result: { ok: false, error: { code: 'ssh.auth-failed' } } });
    await app.screenshot('wrong-password');
    // Issue 9 §6: one way forward on the machine's row (new credentials), not four competing buttons,
    // and new credentials for an already trusted key do not ask to confirm that key again.
    await page
      .getByTestId('host-key-dialog')
      .waitFor({ state: 'detached', timeout: 5_000 })
      .catch(() => undefined);
    if (await page.getByTestId('host-key-dialog').isVisible()) {
      await page.keyboard.press('Escape');
    }
    const row = page.getByTestId('machine').first();
    await row.getByTestId('machine-error').waitFor();
    const actions = await row.getByRole('button').allTextContents();
    expect(actions.map((t) => t.trim()).filter((t) => t !== 'Details')).toEqual(
      expect.not.arrayContaining(['Retry bootstrap', 'Bootstrap', 'Retry']),
    );
    expect(await row.getByTestId('retry').textContent()).toBe('Change credentials');
    await app.screenshot('wrong-password-row');
  });

  test('re-trusts a machine whose host key changed only after the new fingerprint is pasted, showing both keys', async ({
    app,
    browserHost,
  }) => {
    const { page } = app;
    // "The machine" is a loopback port forwarding to server A, then (reinstalled) to server B.
    const a = ssh!;
    const b = await startSshServer({ hostname: 'e2e-node' });
    const target = { port: a.port };
    const sockets = new Set<Socket>();
    const forward = createServer((inbound) => {
      const outbound = tcpConnect(target.port, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => forward.listen(0, '127.0.0.1', resolve));
    const port = (forward.address() as AddressInfo).port;
    try {
      await page.goto(browserHost.host.loginUrl());
      const add = async (): Promise<void> => {
        await page.getByTestId('add-machine').first().click();
        await page.getByTestId('machine-address').fill('127.0.0.1');
        await page.getByTestId('machine-port').fill(String(port));
        await page.getByTestId('machine-user').fill(a.user);
        await page.getByTestId('machine-password').fill(a.password);
        await page.getByTestId('add-machine-submit').click();
      };
      await add();
      await openHostKeyDialog(page);
      await page.getByTestId('trust-host-key').click();
      const row = page.locator('[data-testid="machine"][data-address="127.0.0.1"]');
      await row.and(page.locator('[data-state="trusted"]')).waitFor();

      // Reinstalled: adding it again is refused with the changed-key message, and offers the review.
      target.port = b.port;
      for (const s of sockets) {
        s.destroy();
      }
      await add();
      const refusal = page.getByTestId('add-machine-error');
      await refusal.waitFor();
      expect(await refusal.getAttribute('data-code')).toBe('ssh.host-key-changed');
      await refusal.getByTestId('retry').click();
      const dialog = page.getByTestId('changed-host-key-dialog');
      await dialog.waitFor();
      expect((await page.getByTestId('changed-key-previous').textContent())?.trim()).toBe(a.fingerprint);
      expect((await page.getByTestId('changed-key-presented').textContent())?.trim()).toBe(b.fingerprint);
      expect(await dialog.textContent()).toContain('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');
      await app.screenshot('host-key-changed-review');

      // The old key, or another one, never enables the button; typing goes to the confirmation field first.
      const trust = page.getByTestId('changed-key-trust');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
        'changed-key-confirm',
      );
      await page.keyboard.type(a.fingerprint);
      expect(await trust.isDisabled()).toBe(true);
      expect(await page.getByTestId('changed-key-feedback').textContent()).toMatch(/old, pinned key/);
      await page.getByTestId('changed-key-confirm').fill(`256 ${b.fingerprint.slice(0, -2)}xx root@e2e-node (ED25519)`);
      expect(await trust.isDisabled()).toBe(true);
      expect(b.commands).toEqual([]);

      // The whole ssh-keygen line from the console, pasted, then Enter.
      await page.getByTestId('changed-key-confirm').fill(`256 ${b.fingerprint} root@e2e-node (ED25519)`);
      expect(await page.getByTestId('changed-key-feedback').getAttribute('data-matches')).toBe('true');
      await app.screenshot('host-key-changed-confirmed');
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'detached' });
      await row.and(page.locator('[data-state="trusted"]')).waitFor();
      expect(await row.getByTestId('host-key-changed-badge').count()).toBe(0);
      const call = app.frames
        .filter((f) => f.direction === 'sent' && f.message.kind === 'call' && f.message.method === 'trustMachine')
        .at(-1);
      expect(call?.message.params).toEqual({
        address: '127.0.0.1',
        fingerprint: b.fingerprint,
        replaceChangedKey: { previousFingerprint: a.fingerprint },
      });
      expect(b.commands.some((c) => c.includes('hostname'))).toBe(true);
      const listed = await browserHost.service.handlers.listMachines();
      expect(listed.ok ? listed.value[0]?.hostKey?.fingerprint : listed.error.code).toBe(b.fingerprint);
      await app.screenshot('host-key-retrusted');
      expect(app.problems).toEqual([]);
    } finally {
      for (const s of sockets) {
        s.destroy();
      }
      await new Promise<void>((resolve) => forward.close(() => resolve()));
      await b.close();
    }
  });

  test('opens the add-machine dialog with the keyboard alone', async ({ app, browserHost }) => {
    const { page } = app;
    await page.goto(browserHost.host.loginUrl());
    await page.getByTestId('machines-empty').waitFor();
    let reached = false;
    for (let i = 0; i < 15 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'add-machine');
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByTestId('add-machine-dialog').waitFor();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('machine-address');
    await page.keyboard.press('Escape');
    await app.screenshot('keyboard');
    expect(app.problems).toEqual([]);
  });
});
