import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiEndpoint } from '../../../engine/api/endpoint';
import { runUiCommand } from '../../../engine/cli/ui';
import type { CliIo } from '../../../engine/cli/io';
import { ok } from '../../../engine/result';

const dir = mkdtempSync(join(tmpdir(), 'quorate-ui-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let disposed = 0;
const endpoint: ApiEndpoint = {
  validators: { ping: () => ok(null) },
  handlers: { ping: async () => ok('pong') },
  events: [],
  subscribe: () => () => {},
  dispose: async () => void disposed++,
};

function capture(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), readStdin: async () => '' };
}

describe('quorate ui', () => {
  it('prints a sign-in link as its first stdout line, opens the browser with another one, serves it, and stops on abort', async () => {
    const io = capture();
    const controller = new AbortController();
    let opened: string | undefined;
    const running = runUiCommand([], io, {
      signal: controller.signal,
      rendererDir: dir,
      endpoint,
      open: async (u) => ((opened = u), true),
    });
    while (io.out.length === 0) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const url = io.out[0]!.trimEnd();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?code=[A-Za-z0-9_-]+$/);
    expect(io.out[0]!.endsWith('\n')).toBe(true);
    // The opener's command line is public (/proc/PID/cmdline): it gets its own single-use code.
    expect(opened).toMatch(/\?code=/);
    expect(opened).not.toBe(url);
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await fetch(opened!, { redirect: 'manual' })).status).toBe(303);
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(401);
    controller.abort();
    expect(await running).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
    expect(disposed).toBe(0); // an injected endpoint belongs to the caller
  });

  it('does not open a browser with --no-open, and honours --port', async () => {
    const io = capture();
    const controller = new AbortController();
    let opened = false;
    const running = runUiCommand(['--no-open', '--port', '0'], io, {
      signal: controller.signal,
      rendererDir: dir,
      endpoint,
      open: async () => (opened = true),
    });
    while (io.out.length === 0) {
      await new Promise((r) => setTimeout(r, 10));
    }
    controller.abort();
    expect(await running).toBe(0);
    expect(opened).toBe(false);
  });

  it('says to build first when the renderer is missing', async () => {
    const io = capture();
    expect(await runUiCommand(['--no-open'], io, { rendererDir: join(dir, 'nope'), endpoint })).toBe(1);
    expect(io.out).toEqual([]);
    expect(io.err.join('')).toContain('npm run build');
  });

  it('refuses a bad --port as a usage error', async () => {
    await expect(runUiCommand(['--port', 'http'], capture(), { rendererDir: dir, endpoint })).rejects.toThrow(/--port/);
  });
});
