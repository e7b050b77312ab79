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
import { tokensEqual } from '../../../engine/host/token';
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

/** Opens a WebSocket; resolves with the socket, or with the HTTP status the upgrade was refused with. */
function connect(query: string, origin: string | undefined): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api${query}`, origin ? { origin } : {});
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
  it('prints a loopback URL carrying the token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    expect(new URL(host.url).searchParams.get('token')).toBe(host.token);
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

  it('refuses a WebSocket without a token, with a wrong token, or from another origin', async () => {
    expect(await connect('', ownOrigin())).toBe(401);
    expect(await connect('?token=wrong', ownOrigin())).toBe(401);
    expect(await connect(`?token=${host.token.slice(0, -1)}`, ownOrigin())).toBe(401);
    expect(await connect(`?token=${host.token}`, 'http://evil.example')).toBe(403);
    expect(await connect(`?token=${host.token}`, undefined)).toBe(403);
    expect(host.connections()).toBe(0);
  });

  it('serves the API to its own page with the right token: call, result and event', async () => {
    const ws = await connect(`?token=${encodeURIComponent(host.token)}`, ownOrigin());
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

describe('token comparison', () => {
  it('accepts only the exact token', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual('abc', '')).toBe(false);
    expect(tokensEqual('abc', null)).toBe(false);
  });
});
