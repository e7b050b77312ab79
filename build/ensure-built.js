/**
 * Build on first use: `npm ci` builds through the `postinstall` hook, but an install with
 * `--ignore-scripts` (or a checkout whose dist/ was deleted) must still work without an extra step.
 * The CLI and `npm start` call `ensureBuilt()` before anything that needs dist/; it builds only what
 * is missing, once, and sends the build's chatter to stderr so `--json` output on stdout stays clean.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What each build part produces; a part is missing when its file is. */
export const BUILD_OUTPUTS = {
  renderer: join(root, 'dist', 'renderer', 'index.html'),
  electron: join(root, 'dist', 'electron', 'main.cjs'),
  agent: join(root, 'dist', 'agent', 'quorate-agent.cjs'),
};

/** The build parts whose output is missing (names as build/build.js takes them). */
export function missingParts(outputs = BUILD_OUTPUTS) {
  return Object.entries(outputs)
    .filter(([, file]) => !existsSync(file))
    .map(([part]) => part);
}

/**
 * Builds the missing parts. Returns `{ ok: true, built: [...] }`, or `{ ok: false, message }` when
 * the build failed (e.g. installed with `--omit=dev`, so vite/esbuild are absent); the caller goes on
 * and the command that needs the part reports its own, specific error.
 */
export function ensureBuilt({ parts = Object.keys(BUILD_OUTPUTS), log = (s) => process.stderr.write(s) } = {}) {
  const missing = missingParts().filter((p) => parts.includes(p));
  if (missing.length === 0) {
    return { ok: true, built: [] };
  }
  log(`quorate: first run here: building ${missing.join(', ')} (once; npm ci normally does this)…\n`);
  const r = spawnSync(process.execPath, [join(root, 'build', 'build.js'), ...missing], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (r.status !== 0) {
    return { ok: false, message: `the build exited with ${r.status ?? r.signal}; try: npm run build` };
  }
  return { ok: true, built: missing };
}
