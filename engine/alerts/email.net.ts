/**
 * E-mail alerts through nodemailer: `smtps://` is TLS from the first byte (port 465 by default),
 * `smtp://` upgrades with STARTTLS (required unless the server is on loopback or the lab's
 * 198.18.0.0/15 — a test server without TLS). The user is in the URL, the password from the keyring.
 */
import nodemailer from 'nodemailer';
import { err, ok, type Result } from '../result';
import type { AlertMessage } from '../agent/alert-format';

export interface EmailTarget {
  readonly smtp: string;
  readonly from: string;
  readonly to: string;
  readonly password: string | null;
}

const LOCAL = /^(127\.|198\.1[89]\.|localhost$|\[?::1\]?$)/;

export async function sendEmailAlert(t: EmailTarget, m: AlertMessage, timeoutMs = 15_000): Promise<Result<void>> {
  const u = new URL(t.smtp);
  const secure = u.protocol === 'smtps:';
  const user = decodeURIComponent(u.username);
  const transport = nodemailer.createTransport({
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    requireTLS: !secure && !LOCAL.test(u.hostname),
    ...(user ? { auth: { user, pass: t.password ?? '' } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    await transport.sendMail({ from: t.from, to: t.to, subject: m.title, text: m.text });
    return ok(undefined);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const server = `${u.hostname}${u.port ? `:${u.port}` : ''}`;
    if (code === 'EAUTH') {
      return err(
        'alerts.smtp-auth',
        `${server} refused the login of ${user || '(no user)'}: wrong user or password.`,
        'Set the user in the --smtp URL (smtp://user@host:587) and the password with --password-stdin.',
        e,
      );
    }
    if (code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' || code === 'EDNS') {
      return err(
        'alerts.unreachable',
        `Cannot reach the SMTP server ${server}: ${(e as Error).message}.`,
        'Check host and port (587 STARTTLS, 465 TLS) and that it is reachable from here.',
        e,
      );
    }
    return err(
      'alerts.rejected',
      `${server} did not accept the message: ${(e as Error).message}.`,
      'Check the From and To addresses and the server log.',
      e,
    );
  } finally {
    transport.close();
  }
}
