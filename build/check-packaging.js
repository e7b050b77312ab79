#!/usr/bin/env node
/**
 * What can be checked of the packaging offline (electron-builder itself downloads Electron to pack):
 * the config loads through electron-builder's own loader and passes its JSON schema, and every file
 * it names exists (after `npm run build` and the agent bundle). Exit 1 with the list otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// electron-builder's loader and schema check are CommonJS internals without an ESM entry.
const require = createRequire(import.meta.url);
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config');
const { DebugLogger } = require('builder-util/out/DebugLogger');

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

async function main() {
  const config = await getConfig(root, join(here, 'electron-builder.config.cjs'), null);
  await validateConfiguration(config, new DebugLogger(false));
  const missing = [];
  const need = (path, why) => {
    if (!existsSync(join(root, path))) {
      missing.push(`${path} (${why})`);
    }
  };
  need('dist/electron/main.cjs', 'files: the main process');
  need('dist/electron/preload.cjs', 'files: the preload');
  need('dist/renderer/index.html', 'files: the renderer');
  for (const r of config.extraResources ?? []) {
    need(r.from, `extraResources → ${r.to}`);
  }
  need(config.linux.icon, 'linux.icon');
  need(config.mac.icon, 'mac.icon');
  need(config.win.icon, 'win.icon');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  if (pkg.main !== 'dist/electron/main.cjs') {
    missing.push(`package.json main is ${pkg.main}, not dist/electron/main.cjs`);
  }
  if (missing.length > 0) {
    console.error(
      `packaging: the config is valid, but these are missing:\n  ${missing.join('\n  ')}\nhint: npm run build (and the agent bundle) first`,
    );
    process.exit(1);
  }
  console.log(
    `packaging: config valid (${config.appId}, ${config.productName}); targets linux ${config.linux.target.join('+')}, mac ${config.mac.target.join('+')}, win ${config.win.target.join('+')}; all files present`,
  );
}

main().catch((e) => {
  console.error(`packaging: ${e.message}`);
  process.exit(1);
});
