#!/usr/bin/env node
/**
 * `npm run build`: the renderer (vite, renderer/vite.config.ts → dist/renderer), the Electron main
 * process and preload (esbuild → dist/electron/{main,preload}.cjs), and the node agent bundle when
 * its build script exists (build/bundle-agent.js → dist/agent/quorate-agent.cjs).
 *
 * The preload runs sandboxed: it may `require('electron')` and nothing else, so it is bundled whole
 * (contract, validators and RPC client inlined). Main keeps the runtime dependencies of package.json
 * external; electron-builder packs them from node_modules (ssh2 and the keyring have native parts).
 */
import { build as esbuild } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const only = new Set(process.argv.slice(2)); // e.g. `node build/build.js electron`
const want = (part) => only.size === 0 || only.has(part);

const started = Date.now();
const step = async (name, run) => {
  const t = Date.now();
  await run();
  console.log(`build: ${name} (${Date.now() - t} ms)`);
};

if (want('renderer')) {
  await step('renderer → dist/renderer', async () => {
    const config = join(root, 'renderer', 'vite.config.ts');
    if (!existsSync(config)) {
      throw new Error(`renderer/vite.config.ts is missing: nothing to build the renderer from`);
    }
    const { build } = await import('vite');
    await build({ configFile: config, logLevel: 'warn' });
  });
}

if (want('electron')) {
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    sourcemap: 'linked',
    logLevel: 'warning',
    absWorkingDir: root,
  };
  await step('electron main → dist/electron/main.cjs', () =>
    esbuild({
      ...common,
      entryPoints: ['electron/main.ts'],
      outfile: 'dist/electron/main.cjs',
      external: ['electron', ...Object.keys(pkg.dependencies ?? {}), 'bufferutil', 'utf-8-validate', 'cpu-features'],
      // import.meta.url has no meaning in CommonJS; main uses __dirname.
      define: { 'import.meta.url': 'undefined' },
    }),
  );
  await step('electron preload → dist/electron/preload.cjs', () =>
    esbuild({
      ...common,
      entryPoints: ['electron/preload.ts'],
      outfile: 'dist/electron/preload.cjs',
      external: ['electron'],
    }),
  );
}

if (want('agent')) {
  const agentScript = join(root, 'build', 'bundle-agent.js');
  if (existsSync(agentScript)) {
    await step('agent → dist/agent', async () => {
      const r = spawnSync(process.execPath, [agentScript], { cwd: root, stdio: 'inherit' });
      if (r.status !== 0) {
        throw new Error(`build/bundle-agent.js exited with ${r.status}`);
      }
    });
  } else {
    console.log('build: agent skipped (build/bundle-agent.js does not exist yet)');
  }
}

console.log(`build: done in ${Date.now() - started} ms`);
