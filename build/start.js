#!/usr/bin/env node
/**
 * `npm start`: build, then open the Electron window. Where the Electron binary is missing (installed
 * with ELECTRON_SKIP_BINARY_DOWNLOAD, or a machine without a desktop), say what to do instead
 * rather than fail with a stack trace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The Electron executable's path, or the reason there is none. Resolved as the `electron` package's
 * index.js resolves it (path.txt + dist/, or ELECTRON_OVERRIDE_DIST_PATH), but without requiring it:
 * electron 45's index.js starts a download when the binary is missing, which must not happen
 * behind the user's back (or at all, offline).
 */
export function findElectron() {
  let pkgDir;
  try {
    pkgDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { path: undefined, why: 'the electron package is not installed' };
  }
  const pathFile = join(pkgDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (!relative && !override) {
    return {
      path: undefined,
      why: 'the electron package was installed without its binary (node_modules/electron/path.txt is missing)',
    };
  }
  const path = override ? join(override, relative || 'electron') : join(pkgDir, 'dist', relative);
  if (!existsSync(path)) {
    return { path: undefined, why: `the Electron binary ${path} does not exist` };
  }
  return { path, why: undefined };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = spawnSync(process.execPath, [join(root, 'build', 'build.js')], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) {
    process.exit(built.status ?? 1);
  }
  const electron = findElectron();
  if (!electron.path) {
    console.error(
      [
        '',
        `Quorate cannot open its window: ${electron.why}.`,
        '',
        'Either use Quorate in your browser instead (same app, served on 127.0.0.1 only):',
        '    npx quorate ui',
        '',
        "or install Electron's binary: reinstall without ELECTRON_SKIP_BINARY_DOWNLOAD set:",
        '    unset ELECTRON_SKIP_BINARY_DOWNLOAD && rm -rf node_modules/electron && npm install',
        '',
      ].join('\n'),
    );
    process.exit(1);
  }
  const child = spawn(electron.path, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
