/**
 * Debian's Chromium through playwright-core (no browser download). Shared by the e2e fixtures and the
 * UI bench. Where it is missing, callers skip and print `chromiumMissing()`.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.QUORATE_CHROMIUM ?? '/usr/bin/chromium';

/** Why Chromium cannot be used here, or `undefined` when it can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set QUORATE_CHROMIUM)`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
