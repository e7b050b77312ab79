#!/usr/bin/env node
/**
 * Renders build/icons/icon.svg to the PNG sizes electron-builder wants (png/NxN.png) and the tray
 * icons (tray/<state>.png, a dot coloured by cluster health, 16 px and @2x), with Debian's Chromium
 * through playwright-core: no image tool is needed. Run after changing icon.svg; the PNGs are
 * committed.
 */
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const svg = readFileSync(join(here, 'icon.svg'), 'utf8');
const trayColours = { quorate: '#2e9d5b', degraded: '#d79b00', unknown: '#8a8f98', inquorate: '#d1342f' };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  const shoot = async (markup, size, file) => {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(
      `<!doctype html><style>html,body{margin:0;background:transparent}svg{display:block;width:${size}px;height:${size}px}</style>${markup}`,
    );
    mkdirSync(dirname(file), { recursive: true });
    await page.screenshot({ path: file, omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
  };
  for (const size of [16, 32, 48, 64, 128, 256, 512]) {
    await shoot(svg, size, join(here, 'png', `${size}x${size}.png`));
  }
  for (const [state, colour] of Object.entries(trayColours)) {
    const dot = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6.5" fill="${colour}" stroke="#ffffff" stroke-width="1.5"/></svg>`;
    await shoot(dot, 16, join(here, 'tray', `${state}.png`));
    await shoot(dot, 32, join(here, 'tray', `${state}@2x.png`));
  }
  console.log('icons: rendered png/ and tray/');
} finally {
  await browser.close();
}
