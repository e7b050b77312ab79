/**
 * Reads a host's SSH key without logging in: the handshake runs up to the host key check, which
 * refuses, so no credential is ever sent to a host the user has not trusted yet.
 */
import ssh2 from 'ssh2';
import { ok } from '../result';
import type { QuorateError, Result } from '../result';
import { classifyConnectFailure } from './errors';
import type { SshEndpoint } from './errors';
import { fingerprintOfKeyBlob } from './fingerprint';
import type { HostKeyFingerprint } from './fingerprint';

/**
 * The host key the server at `address:port` presents to Quorate (the same algorithm preference as
 * `connectSsh`, so the fingerprint is the one a later login checks). `timeoutMs` defaults to 10 000.
 */
export function probeHostKey(
  address: string,
  port = 22,
  opts: { timeoutMs?: number } = {},
): Promise<Result<HostKeyFingerprint>> {
  const endpoint: SshEndpoint = { address, port, user: '' };
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const client = new ssh2.Client();
  return new Promise((resolve) => {
    let seen: HostKeyFingerprint | undefined;
    let settled = false;
    const settle = (result: Result<HostKeyFingerprint>): void => {
      if (settled) {
        return;
      }
      settled = true;
      client.end();
      resolve(result);
    };
    client.on('error', (e: Error & { level?: string; code?: string }) => {
      if (seen) {
        settle(ok(seen));
      } else {
        const error: QuorateError = classifyConnectFailure(
          endpoint,
          { level: e.level, code: e.code, message: e.message },
          { timeoutMs },
        );
        settle({ ok: false, error });
      }
    });
    client.on('close', () => {
      if (seen) {
        settle(ok(seen));
      } else {
        settle({
          ok: false,
          error: classifyConnectFailure(
            endpoint,
            { code: 'ECONNRESET', message: 'connection closed before the key exchange' },
            { timeoutMs },
          ),
        });
      }
    });
    client.on('ready', () => settle(ok(seen as HostKeyFingerprint)));
    client.connect({
      host: address,
      port,
      username: 'quorate-host-key-probe',
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => {
        seen = fingerprintOfKeyBlob(key);
        return false;
      },
    });
  });
}
