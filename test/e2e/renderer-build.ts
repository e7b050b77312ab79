/**
 * The built renderer the end-to-end tests and the UI bench load (no vitest imports here, so the
 * bench can use it too).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumMissing } from './chromium';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const rendererDir = join(repoRoot, 'dist', 'renderer');
export const artefactsDir = join(repoRoot, 'test-results', 'e2e');

/** Why the browser e2e tests cannot run here, or `undefined`. */
export function e2eUnavailable(): string | undefined {
  return (
    chromiumMissing() ??
    (existsSync(join(repoRoot, 'renderer', 'vite.config.ts'))
      ? undefined
      : 'the renderer (renderer/vite.config.ts) does not exist yet')
  );
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

/** Builds dist/renderer when it is missing or older than renderer/ or engine/api (the tests must see the current UI). */
export function ensureRendererBuilt(): void {
  const index = join(rendererDir, 'index.html');
  const sources = Math.max(newestMtime(join(repoRoot, 'renderer')), newestMtime(join(repoRoot, 'engine', 'api')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) {
    return;
  }
  const r = spawnSync(process.execPath, [join(repoRoot, 'build', 'build.js'), 'renderer'], {
    cwd: repoRoot,
    stdio: 'inherit',
    // vitest sets NODE_ENV=test; vite would then build with import.meta.env.DEV true, and the page
    // would talk to the in-memory demo API instead of the engine.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (r.status !== 0) {
    throw new Error(`building the renderer failed (exit ${r.status})`);
  }
}
