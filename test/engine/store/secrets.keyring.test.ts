import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { keyringSecrets } from '../../../engine/store';

const root = mkdtempSync(join(tmpdir(), 'quorate-keyring-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function which(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every file under `dir`, for "no secret on disk" checks. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

const secretServiceMissing = !which('dbus-run-session')
  ? 'dbus-run-session is not installed (apt-get install dbus)'
  : !which('gnome-keyring-daemon')
    ? 'gnome-keyring-daemon is not installed (apt-get install gnome-keyring)'
    : null;
if (secretServiceMissing) {
  console.log(`skipping the real Secret Service test: ${secretServiceMissing}`);
}

describe('secrets in the OS keyring', () => {
  it.skipIf(secretServiceMissing !== null)(
    'stores, reads and deletes a password in a real Secret Service (gnome-keyring on D-Bus)',
    async () => {
      const home = join(root, 'desktop-home');
      const service = `quorate-test-${process.pid}`;
      const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
      const script = join(import.meta.dirname, 'scripts', 'keyring-roundtrip.ts');
      // A private session bus with a freshly unlocked login keyring, in a throwaway HOME: the daemon's
      // files go there, and both daemons end with the session.
      const inner = `echo -n unlock-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$0" "$@"`;
      const { stdout } = await promisify(execFile)(
        'dbus-run-session',
        ['--', 'sh', '-c', inner, tsx, script, service, 'root@198.18.0.1:22', 's3cret pw'],
        {
          env: {
            PATH: process.env.PATH,
            HOME: home,
            XDG_DATA_HOME: join(home, 'data'),
            XDG_RUNTIME_DIR: join(root, 'run'),
          },
          timeout: 60_000,
        },
      );
      const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
      expect(result.set).toEqual({ ok: true });
      expect(result.got).toEqual({ ok: true, value: 's3cret pw' });
      expect(result.other).toEqual({ ok: true, value: null });
      expect(result.deleted).toEqual({ ok: true, value: true });
      expect(result.after).toEqual({ ok: true, value: null });
    },
    90_000,
  );

  it('refuses cleanly without a D-Bus session, and writes no secret to disk', async () => {
    const saved = {
      bus: process.env.DBUS_SESSION_BUS_ADDRESS,
      home: process.env.HOME,
      runtime: process.env.XDG_RUNTIME_DIR,
    };
    const home = join(root, 'headless-home');
    delete process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.HOME = home;
    process.env.XDG_RUNTIME_DIR = join(root, 'no-runtime');
    try {
      const store = keyringSecrets(`quorate-test-${process.pid}`);
      const set = await store.set('root@198.18.0.1:22', 'never-on-disk-7f3a');
      expect(!set.ok && set.error.code).toBe('store.keyring-unavailable');
      expect(!set.ok && set.error.hint).toMatch(/gnome-keyring/);
      const get = await store.get('root@198.18.0.1:22');
      expect(!get.ok && get.error.code).toBe('store.keyring-unavailable');
      for (const file of filesUnder(home)) {
        expect(readFileSync(file, 'utf8')).not.toContain('never-on-disk-7f3a');
      }
    } finally {
      for (const [key, value] of [
        ['DBUS_SESSION_BUS_ADDRESS', saved.bus],
        ['HOME', saved.home],
        ['XDG_RUNTIME_DIR', saved.runtime],
      ] as const) {
        if (value === undefined) {
          delete process.env[key];
        } else {
          process.env[key] = value;
        }
      }
    }
  });
});
