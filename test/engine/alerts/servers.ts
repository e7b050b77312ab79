/** Real local receivers for alert tests: an HTTP server (webhook / ntfy / Gotify compatible) and an SMTP server. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export interface HttpReceiver {
  readonly url: string;
  readonly received: Received[];
  /** Status codes to answer with, in order; 200 after they run out. */
  fail: number[];
  close(): Promise<void>;
}

export async function startHttpReceiver(host = '127.0.0.1'): Promise<HttpReceiver> {
  const received: Received[] = [];
  const r: { fail: number[] } = { fail: [] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = r.fail.shift() ?? 200;
      if (status === 200) {
        received.push({
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? '{"ok":true}' : '{"error":"try later"}');
    });
  });
  await new Promise<void>((done) => server.listen(0, host, done));
  const { port } = server.address() as AddressInfo;
  return Object.assign(r, {
    url: `http://${host}:${port}`,
    received,
    close: () => new Promise<void>((done) => server.close(() => done())),
  });
}

export interface SmtpReceiver {
  readonly port: number;
  readonly messages: { from: string; to: string[]; data: string; user: string | undefined }[];
  close(): Promise<void>;
}

/** Plain SMTP with AUTH (no TLS: a loopback / lab test server), one user and password. */
export async function startSmtpReceiver(user: string, password: string, host = '127.0.0.1'): Promise<SmtpReceiver> {
  const messages: SmtpReceiver['messages'] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === password) {
        cb(null, { user });
      } else {
        cb(new Error('Invalid username or password'));
      }
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('utf8'),
          user: session.user as string | undefined,
        });
        cb();
      });
    },
  });
  await new Promise<void>((done) => server.listen(0, host, () => done()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, messages, close: () => new Promise<void>((done) => server.close(() => done())) };
}
