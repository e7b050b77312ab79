import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiEndpoint } from '../../../engine/api/endpoint';
import { createRpcClient } from '../../../engine/api/rpc';
import { createWebSocketTransport } from '../../../engine/api/transport.ws';
import type { BrowserHost } from '../../../engine/host/browser-host.net';
import { startBrowserHost } from '../../../engine/host/browser-host.net';
import { SessionKeeper, tokensEqual } from '../../../engine/host/token';
import { err, ok } from '../../../engine/result';

const root = mkdtempSync(join(tmpdir(), 'quorate-host-'));
let host: BrowserHost;
let emit: (event: string, payload: unknown) => void = () => {};

const endpoint: ApiEndpoint = {
  validators: { ping: (p) => (p === null ? ok(p) : err('api.invalid-params', 'params: expected null', 'Pass null.')) },
  handlers: { ping: async () => ok('pong') },
  events: ['onDidNotify'],
  subscribe: (e) => {
    emit = e;
    return () => {};
  },
  dispose: async () => {},
};

beforeAll(async () => {
  mkdirSync(join(root, 'assets'));
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><title>Quorate</title><script type="module" src="/assets/app.js"></script>',
  );
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(tmpdir(), 'quorate-host-outside.txt'), 'secret');
  const started = await startBrowserHost({ rendererDir: root, endpoint });
  if (!started.ok) {
    throw new Error(started.error.message);
  }
  host = started.value;
});

afterAll(async () => {
  await host?.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(join(tmpdir(), 'quorate-host-outside.txt'), { force: true });
});

function get(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a sign-in link; resolves with the session cookie (`name=value`) it set, or undefined. */
async function signIn(
  url = host.loginUrl(),
): Promise<{ status: number; cookie?: string; setCookie?: string; location?: string }> {
  const u = new URL(url);
  const res = await get(`${u.pathname}${u.search}`, { host: `127.0.0.1:${host.port}` });
  const set = res.headers['set-cookie']?.[0];
  return {
    status: res.status,
    ...(set ? { setCookie: set, cookie: set.split(';')[0]! } : {}),
    ...(typeof res.headers.location === 'string' ? { location: res.headers.location } : {}),
  };
}

/** Opens a WebSocket; resolves with the socket, or with the HTTP status the upgrade was refused with. */
function connect(cookie: string | undefined, origin: string | undefined): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = cookie ? { cookie } : {};
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, { headers, ...(origin ? { origin } : {}) });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => resolve(-1));
  });
}

const ownOrigin = (): string => `http://127.0.0.1:${host.port}`;

describe('browser host', () => {
  it('gives loopback sign-in links, each with a fresh code', () => {
    const a = host.loginUrl();
    expect(a).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?code=[A-Za-z0-9_-]{43}$/);
    expect(host.loginUrl()).not.toBe(a);
  });

  it('exchanges a code once for an HttpOnly, SameSite=Strict cookie and redirects the code away', async () => {
    const url = host.loginUrl();
    const first = await signIn(url);
    expect(first.status).toBe(303);
    expect(first.location).toBe('/');
    expect(first.setCookie).toMatch(
      new RegExp(`^${host.cookieName}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$`),
    );
    const again = await signIn(url);
    expect(again.status).toBe(401);
    expect(again.setCookie).toBeUndefined();
    expect((await signIn(`http://127.0.0.1:${host.port}/?code=made-up`)).status).toBe(401);
  });

  it('refuses to bind anything but 127.0.0.1', async () => {
    for (const bind of ['0.0.0.0', '198.18.0.254', '::']) {
      const r = await startBrowserHost({ rendererDir: root, endpoint, host: bind });
      expect(r.ok ? 'bound' : r.error.code).toBe('host.not-loopback');
    }
  });

  it('reports a port in use as such', async () => {
    const r = await startBrowserHost({ rendererDir: root, endpoint, port: host.port });
    expect(r.ok ? 'bound' : r.error.code).toBe('host.port-in-use');
  });

  it('serves the renderer with a strict CSP that allows only its own WebSocket', async () => {
    const res = await get('/?token=x', { host: `127.0.0.1:${host.port}` });
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>Quorate</title>');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain(`ws://127.0.0.1:${host.port}`);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect((await get('/assets/app.js')).headers['content-type']).toContain('text/javascript');
  });

  it('never serves files outside the renderer folder', async () => {
    for (const path of [
      '/../quorate-host-outside.txt',
      '/%2e%2e/quorate-host-outside.txt',
      '/assets/..%2f..%2fquorate-host-outside.txt',
    ]) {
      const res = await get(path);
      expect(res.body).not.toContain('secret');
    }
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    expect((await get('/', { host: `evil.example:${host.port}` })).status).toBe(421);
  });

  it('refuses a WebSocket without the session cookie, with a wrong one, or from another origin', async () => {
    const { cookie } = await signIn();
    expect(await connect(undefined, ownOrigin())).toBe(401);
    expect(await connect(`${host.cookieName}=wrong`, ownOrigin())).toBe(401);
    expect(await connect(cookie!.slice(0, -1), ownOrigin())).toBe(401);
    // A code is not a session: the link itself does not open the API.
    const code = new URL(host.loginUrl()).searchParams.get('code')!;
    expect(await connect(`${host.cookieName}=${code}`, ownOrigin())).toBe(401);
    expect(await connect(cookie, 'http://evil.example')).toBe(403);
    expect(await connect(cookie, undefined)).toBe(403);
    expect(host.connections()).toBe(0);
  });

  it('serves the API to its own page with the right token: call, result and event', async () => {
    const ws = await connect((await signIn()).cookie, ownOrigin());
    expect(ws).toBeInstanceOf(WebSocket);
    const socket = ws as WebSocket;
    try {
      const client = createRpcClient(createWebSocketTransport(socket));
      expect(await client.call('ping', null)).toEqual({ ok: true, value: 'pong' });
      const bad = await client.call('ping', 3);
      expect(bad.ok ? 'ok' : bad.error.message).toBe('params: expected null');
      const got = new Promise((resolve) => client.on('onDidNotify', resolve));
      emit('onDidNotify', { kind: 'quorum-lost' });
      expect(await got).toEqual({ kind: 'quorum-lost' });
    } finally {
      socket.close();
    }
  });
});

describe('sign-in codes', () => {
  it('expire after their time to live and work once', () => {
    let now = 1000;
    const keeper = new SessionKeeper({ now: () => now, ttlMs: 100 });
    const late = keeper.mint();
    const used = keeper.mint();
    const session = keeper.redeem(used);
    expect(session).toBeDefined();
    expect(keeper.isSession(session)).toBe(true);
    expect(keeper.redeem(used)).toBeUndefined();
    now += 100;
    expect(keeper.redeem(late)).toBeUndefined();
    expect(keeper.isSession(late)).toBe(false);
    expect(keeper.isSession(undefined)).toBe(false);
  });
});

describe('token comparison', () => {
  it('accepts only the exact token', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual('abc', '')).toBe(false);
    expect(tokensEqual('abc', null)).toBe(false);
  });
});
