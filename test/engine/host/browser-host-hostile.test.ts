/**
 * The browser host against hostile peers, over raw TCP (node:net) so nothing polite sits in between:
 * request targets `new URL` refuses, clients that reset, malformed WebSocket frames from a signed-in
 * browser, and a connection whose handler result cannot be sent. After each, the host still serves.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiEndpoint } from '../../../engine/api/endpoint';
import { createRpcClient } from '../../../engine/api/rpc';
import { createWebSocketTransport } from '../../../engine/api/transport.ws';
import type { BrowserHost } from '../../../engine/host/browser-host.net';
import { startBrowserHost } from '../../../engine/host/browser-host.net';
import { ok } from '../../../engine/result';

const root = mkdtempSync(join(tmpdir(), 'quorate-hostile-'));
let host: BrowserHost;
const bugs: string[] = [];

const endpoint: ApiEndpoint = {
  validators: { ping: (p) => ok(p), boom: (p) => ok(p) },
  handlers: {
    ping: async () => ok('pong'),
    // A result JSON cannot carry: sending it throws inside the connection.
    boom: async () => ok(10n as unknown as string),
  },
  events: [],
  subscribe: () => () => {},
  dispose: async () => {},
};

beforeAll(async () => {
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Quorate</title>');
  const started = await startBrowserHost({ rendererDir: root, endpoint, onBug: (where) => bugs.push(where) });
  if (!started.ok) {
    throw new Error(started.error.message);
  }
  host = started.value;
});

afterAll(async () => {
  await host?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Sends raw bytes; resolves with everything the server sent until it closed (or `ms` passed). */
function raw(bytes: string | Buffer, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = tcp(host.port, '127.0.0.1');
    let got = '';
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, ms);
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('close', done);
    s.on('error', done);
    s.write(bytes);
  });
}

const hostHeader = (): string => `Host: 127.0.0.1:${host.port}\r\n`;
const origin = (): string => `Origin: http://127.0.0.1:${host.port}\r\n`;

/** The host still answers a plain GET and a signed-in API call. */
async function stillServing(): Promise<void> {
  expect(await raw(`GET / HTTP/1.1\r\n${hostHeader()}Connection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 200/);
  const ws = await openApi();
  try {
    const client = createRpcClient(createWebSocketTransport(ws));
    expect(await client.call('ping', null)).toEqual({ ok: true, value: 'pong' });
  } finally {
    ws.close();
  }
}

async function sessionCookie(): Promise<string> {
  const code = new URL(host.loginUrl()).search;
  const reply = await raw(`GET /${code} HTTP/1.1\r\n${hostHeader()}Connection: close\r\n\r\n`);
  const m = /^Set-Cookie: ([^;\r\n]+)/im.exec(reply);
  if (!m) {
    throw new Error(`no cookie in ${reply}`);
  }
  return m[1]!;
}

async function openApi(): Promise<WebSocket> {
  const cookie = await sessionCookie();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, {
      headers: { cookie },
      origin: `http://127.0.0.1:${host.port}`,
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** A signed-in WebSocket handshake over raw TCP; resolves with the socket once 101 arrived. */
async function rawWebSocket(): Promise<Socket> {
  const cookie = await sessionCookie();
  return new Promise((resolve, reject) => {
    const s = tcp(host.port, '127.0.0.1');
    let got = '';
    s.on('error', reject);
    s.on('data', function onData(d) {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        s.off('data', onData);
        if (got.startsWith('HTTP/1.1 101')) {
          resolve(s);
        } else {
          reject(new Error(got));
        }
      }
    });
    s.write(
      `GET /api HTTP/1.1\r\n${hostHeader()}${origin()}Upgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: ${cookie}\r\n\r\n`,
    );
  });
}

/** A masked client frame (RFC 6455 §5.2) with the given opcode and payload. */
function frame(opcode: number, payload: Buffer, declaredLength = payload.length): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  let header: Buffer;
  if (declaredLength < 126) {
    header = Buffer.from([0x80 | opcode, 0x80 | declaredLength]);
  } else if (declaredLength < 65536) {
    header = Buffer.from([0x80 | opcode, 0x80 | 126, declaredLength >> 8, declaredLength & 0xff]);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(declaredLength), 2);
  }
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([header, mask, body]);
}

/** Resolves once the server closed `s` (or after `ms`: then false). */
function closedByServer(s: Socket, ms = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    s.on('data', () => {});
    s.on('error', () => {});
    s.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('browser host against hostile peers', () => {
  it('answers a request target new URL() refuses (GET //[) with 400, before and without a token', async () => {
    expect(await raw(`GET //[ HTTP/1.1\r\n${hostHeader()}Connection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
    await stillServing();
  });

  it('checks Host before parsing anything: a bad target to a foreign Host gets 421', async () => {
    expect(await raw(`GET //[ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 421/);
  });

  it('refuses an upgrade to an unparsable target, and to a foreign Host, without crashing', async () => {
    const upgrade =
      'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: x\r\n';
    expect(await raw(`GET //[ HTTP/1.1\r\n${hostHeader()}${upgrade}\r\n`)).toMatch(/^HTTP\/1\.1 404/);
    expect(await raw(`GET //[ HTTP/1.1\r\nHost: evil.example\r\n${upgrade}\r\n`)).toMatch(/^HTTP\/1\.1 421/);
    await stillServing();
  });

  it('survives clients that reset right after a refused upgrade', async () => {
    const upgrade = `GET /api HTTP/1.1\r\n${hostHeader()}${origin()}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
    await Promise.all(
      Array.from(
        { length: 40 },
        () =>
          new Promise<void>((resolve) => {
            const s = tcp(host.port, '127.0.0.1', () => {
              s.write(upgrade);
              s.resetAndDestroy();
            });
            s.on('error', () => {});
            s.on('close', () => resolve());
          }),
      ),
    );
    await stillServing();
  });

  it('survives garbage that is not HTTP at all, and a reset mid-request', async () => {
    expect(await raw('\x00\x01\x02 not http\r\n\r\n')).toMatch(/^HTTP\/1\.1 400|^$/);
    await new Promise<void>((resolve) => {
      const s = tcp(host.port, '127.0.0.1', () => {
        s.write(`GET / HTTP/1.1\r\n${hostHeader()}`);
        s.resetAndDestroy();
      });
      s.on('error', () => {});
      s.on('close', () => resolve());
    });
    await stillServing();
  });

  it('closes only the connection that sends invalid UTF-8 in a text frame', async () => {
    const bystander = await openApi();
    const s = await rawWebSocket();
    s.write(frame(0x1, Buffer.from([0xff, 0xfe, 0xfd])));
    expect(await closedByServer(s)).toBe(true);
    expect(bystander.readyState).toBe(WebSocket.OPEN);
    bystander.close();
    await stillServing();
  });

  it('closes only the connection that announces a frame over maxPayload', async () => {
    const s = await rawWebSocket();
    s.write(frame(0x1, Buffer.from('{}'), 9 * 1024 * 1024));
    expect(await closedByServer(s)).toBe(true);
    await stillServing();
  });

  it('closes only the connection whose result cannot be sent, and reports it as a bug', async () => {
    const bystander = await openApi();
    const victim = await openApi();
    const closed = new Promise<void>((resolve) => victim.once('close', () => resolve()));
    victim.on('error', () => {});
    createRpcClient(createWebSocketTransport(victim)).call('boom', null);
    await closed;
    expect(bugs).toContain('sending to the browser');
    const client = createRpcClient(createWebSocketTransport(bystander));
    expect(await client.call('ping', null)).toEqual({ ok: true, value: 'pong' });
    bystander.close();
    await stillServing();
  });
});
