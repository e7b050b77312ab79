#!/usr/bin/env node
/**
 * CI's check of the README's two commands on a fresh clone (`.ci/run` runs it; also by hand:
 * `node build/check-fresh-clone.js`). Clones this repository to a temp folder, runs `npm ci` there
 * (ELECTRON_SKIP_BINARY_DOWNLOAD as CI sets it, so the browser host is what `npm start` would run),
 * then `npx quorate --help` and `npx quorate ui --no-open`, and GETs the URL it prints: the app must
 * be served. Cleans up (process group, temp folder) also when a step fails. Exit 0 or 1.
 */
/* global fetch */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'quorate-fresh-'));
const repo = join(tmp, 'repo');
const env = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', QUORATE_HOME: join(tmp, 'home') };
const started = Date.now();
const say = (s) => console.log(`fresh-clone: ${s} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

function run(cmd, args, cwd = repo) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** The committed tree (git clone), or the working tree without build outputs where there is no git. */
function cloneRepo() {
  const isGit = spawnSync('git', ['-C', root, 'rev-parse', '--is-inside-work-tree'], { encoding: 'utf8' });
  if (isGit.status === 0) {
    run('git', ['clone', '--quiet', '--no-hardlinks', root, repo], tmp);
    return 'git clone';
  }
  const skip = new Set(['node_modules', 'dist', 'test-results', '.git']);
  cpSync(root, repo, { recursive: true, filter: (src) => !skip.has(relative(root, src).split('/')[0]) });
  return 'copy (not a git checkout)';
}

/** Starts `npx quorate ui --no-open` in its own process group; resolves with the child and its URL. */
function startUi() {
  const child = spawn('npx', ['quorate', 'ui', '--no-open'], {
    cwd: repo,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL after 120 s\nstdout: ${out}\nstderr: ${err}`)), 120_000);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const url = /^(https?:\/\/\S+)$/m.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`quorate ui exited with ${code} before serving\nstdout: ${out}\nstderr: ${err}`));
    });
  }).catch((e) => {
    stopGroup(child);
    throw e;
  });
}

function stopGroup(child) {
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

/** GET the printed URL; a redirect that sets a cookie (one-time code → session) is followed once. */
async function checkServes(url) {
  let res = await fetch(url, { redirect: 'manual' });
  if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
    const cookie = res.headers.get('set-cookie')?.split(';')[0];
    res = await fetch(new URL(res.headers.get('location'), url), {
      redirect: 'manual',
      headers: cookie ? { cookie } : {},
    });
  }
  const body = await res.text();
  if (res.status !== 200 || !/<html/i.test(body)) {
    throw new Error(`GET ${url} → ${res.status}, not the app:\n${body.slice(0, 300)}`);
  }
  return res.status;
}

let status = 0;
let ui;
try {
  say(`cloned by ${cloneRepo()} into ${repo}`);
  run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund']);
  say('npm ci done');
  if (!/usage/i.test(run('npx', ['quorate', '--help']))) {
    throw new Error('npx quorate --help printed no usage');
  }
  say('npx quorate --help ok');
  ui = await startUi();
  say(`npx quorate ui --no-open printed ${ui.url.replace(/([?&#]\w+=)[^&#]+/g, '$1…')}`);
  say(`GET → ${await checkServes(ui.url)}, the app is served`);
} catch (e) {
  console.error(`fresh-clone: FAILED: ${e.message}`);
  status = 1;
} finally {
  if (ui) {
    stopGroup(ui.child);
  }
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(status);
