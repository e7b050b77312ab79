#!/usr/bin/env node
/**
 * `npm start`: one command runs the app everywhere. Builds (quietly, to stderr), then opens the
 * Electron window where Electron's binary is installed and a display exists; where not (installed
 * with ELECTRON_SKIP_BINARY_DOWNLOAD, a server without a desktop), it serves the same app with the
 * browser host (`quorate ui`) and opens it in the default browser (xdg-open / open / start), printing
 * the URL first on stdout. `npm start -- --no-open` is the headless form: browser host, nothing opened.
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

/**
 * Which host `npm start ARGS` runs: `{ host: 'electron', path }` or `{ host: 'browser', why }`.
 * `--no-open` (headless) and `--browser` always mean the browser host.
 */
export function chooseHost(args, { env = process.env, platform = process.platform, electron = findElectron() } = {}) {
  if (args.includes('--no-open')) {
    return { host: 'browser', why: undefined };
  }
  if (args.includes('--browser')) {
    return { host: 'browser', why: undefined };
  }
  if (!electron.path) {
    return { host: 'browser', why: electron.why };
  }
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { host: 'browser', why: 'there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  }
  return { host: 'electron', path: electron.path };
}

/** Runs `cmd args` with our stdio; SIGINT/SIGTERM sent to us go to it; exits with its code. */
function runChild(cmd, args) {
  const child = spawn(cmd, args, { cwd: root, stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const built = spawnSync(process.execPath, [join(root, 'build', 'build.js')], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (built.status !== 0) {
    process.exit(built.status ?? 1);
  }
  const choice = chooseHost(args);
  if (choice.host === 'electron') {
    runChild(choice.path, [root, ...args]);
  } else {
    if (choice.why) {
      process.stderr.write(
        `Quorate's window is not available here: ${choice.why}.\n` +
          'Serving the same app to your browser instead (127.0.0.1 only).\n',
      );
    }
    const uiArgs = args.filter((a) => a !== '--browser');
    runChild(process.execPath, [join(root, 'bin', 'quorate.js'), 'ui', ...uiArgs]);
  }
}
