/**
 * A small SMTP client for the agent bundle (node builtins only, so nodemailer cannot come along):
 * EHLO, STARTTLS (required on `smtp://` except to loopback and the lab's 198.18.0.0/15), TLS from the
 * first byte on `smtps://`, AUTH PLAIN when the URL names a user, one message, QUIT. Certificates are
 * verified. Errors are values with the same codes as the desktop's e-mail sender.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { err, ok, type Result } from '../result';

export interface SmtpMessage {
  readonly url: string;
  readonly password: string | null;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

const LOCAL = /^(127\.|198\.1[89]\.|localhost$)/;

class Conversation {
  #buffer = '';
  #waiters: ((line: string | null) => void)[] = [];
  #lines: string[] = [];
  socket: Socket;
  constructor(socket: Socket) {
    this.socket = socket;
    this.attach(socket);
  }
  attach(socket: Socket): void {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.#buffer += d;
      let i: number;
      while ((i = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, i).replace(/\r$/, '');
        this.#buffer = this.#buffer.slice(i + 1);
        const w = this.#waiters.shift();
        if (w) {
          w(line);
        } else {
          this.#lines.push(line);
        }
      }
    });
    socket.on('close', () => this.#waiters.splice(0).forEach((w) => w(null)));
  }
  line(): Promise<string | null> {
    const l = this.#lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((r) => this.#waiters.push(r));
  }
  /** One reply (all its lines): code and text. */
  async reply(): Promise<{ code: number; text: string }> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.line();
      if (l === null) {
        return { code: 0, text: [...lines, 'connection closed'].join(' ') };
      }
      lines.push(l.slice(4));
      if (l[3] !== '-') {
        return { code: Number(l.slice(0, 3)), text: lines.join(' ') };
      }
    }
  }
  async command(line: string): Promise<{ code: number; text: string }> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }
}

function open(host: string, port: number, secure: boolean, timeoutMs: number): Promise<Result<Socket>> {
  return new Promise((resolve) => {
    const socket = secure ? tlsConnect({ host, port, servername: host }) : netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(
        err(
          'alerts.unreachable',
          `Cannot reach the SMTP server ${host}:${port}: no answer within ${timeoutMs / 1000} s.`,
          'Check host and port.',
        ),
      );
    }, timeoutMs);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      resolve(ok(socket));
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      resolve(
        err(
          'alerts.unreachable',
          `Cannot reach the SMTP server ${host}:${port}: ${e.message}.`,
          'Check host and port (587 STARTTLS, 465 TLS).',
          e,
        ),
      );
    });
  });
}

export async function sendSmtp(m: SmtpMessage, timeoutMs = 10_000): Promise<Result<void>> {
  const u = new URL(m.url);
  const secure = u.protocol === 'smtps:';
  const host = u.hostname;
  const port = u.port ? Number(u.port) : secure ? 465 : 587;
  const user = decodeURIComponent(u.username);
  const opened = await open(host, port, secure, timeoutMs);
  if (!opened.ok) {
    return opened;
  }
  const c = new Conversation(opened.value);
  const deadline = setTimeout(() => c.socket.destroy(), timeoutMs * 3);
  const refused = (step: string, r: { code: number; text: string }): Result<void> =>
    err(
      'alerts.rejected',
      `${host}:${port} refused ${step}: ${r.code} ${r.text}.`,
      'Check the addresses and the server log.',
    );
  try {
    if ((await c.reply()).code !== 220) {
      return refused('the connection', { code: 0, text: 'no 220 greeting' });
    }
    let ehlo = await c.command('EHLO quorate-agent');
    if (ehlo.code !== 250) {
      return refused('EHLO', ehlo);
    }
    if (!secure) {
      if (/\bSTARTTLS\b/i.test(ehlo.text)) {
        const st = await c.command('STARTTLS');
        if (st.code !== 220) {
          return refused('STARTTLS', st);
        }
        const upgraded = await new Promise<Result<Socket>>((resolve) => {
          const t = tlsConnect({ socket: c.socket, servername: host }, () => resolve(ok(t)));
          t.once('error', (e) =>
            resolve(
              err(
                'alerts.unreachable',
                `TLS with ${host}:${port} failed: ${e.message}.`,
                'Check the server certificate.',
                e,
              ),
            ),
          );
        });
        if (!upgraded.ok) {
          return upgraded;
        }
        c.attach(upgraded.value);
        ehlo = await c.command('EHLO quorate-agent');
      } else if (!LOCAL.test(host)) {
        return err(
          'alerts.rejected',
          `${host}:${port} offers no STARTTLS; Quorate sends no password in clear text.`,
          'Use smtps://host:465, or a server with STARTTLS.',
        );
      }
    }
    if (user) {
      const auth = await c.command(`AUTH PLAIN ${btoa(`\0${user}\0${m.password ?? ''}`)}`);
      if (auth.code !== 235) {
        return err(
          'alerts.smtp-auth',
          `${host}:${port} refused the login of ${user}: wrong user or password (${auth.code} ${auth.text}).`,
          'Set the user in the SMTP URL and the password again.',
        );
      }
    }
    for (const [step, line, want] of [
      ['the sender', `MAIL FROM:<${m.from}>`, [250]],
      ['the recipient', `RCPT TO:<${m.to}>`, [250, 251]],
      ['DATA', 'DATA', [354]],
    ] as const) {
      const r = await c.command(line);
      if (!(want as readonly number[]).includes(r.code)) {
        return refused(step, r);
      }
    }
    const headers = [
      `From: ${m.from}`,
      `To: ${m.to}`,
      `Subject: ${/^[\x20-\x7e]*$/.test(m.subject) ? m.subject : `=?UTF-8?B?${btoa(String.fromCharCode(...new TextEncoder().encode(m.subject)))}?=`}`,
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
    ];
    const body = m.text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    const done = await c.command(`${headers.join('\r\n')}\r\n\r\n${body}\r\n.`);
    if (done.code !== 250) {
      return refused('the message', done);
    }
    await c.command('QUIT').catch(() => undefined);
    return ok(undefined);
  } finally {
    clearTimeout(deadline);
    c.socket.destroy();
  }
}
