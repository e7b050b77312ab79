/**
 * Opening an SSH session: the host key checked against the pinned fingerprint before any credential
 * is sent (unknown or changed keys refused with errors that carry the presented key), then the
 * login with the one credential the user gave, every failure classified once (`classifyConnectFailure`).
 */
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthenticationType, ConnectConfig } from 'ssh2';
import { err, ok } from '../result';
import type { QuorateError, Result } from '../result';
import { classifyConnectFailure, endpointLabel, hostKeyChangedError, hostKeyUnknownError } from './errors';
import type { SshEndpoint } from './errors';
import { fingerprintOfKeyBlob, normaliseFingerprint } from './fingerprint';
import type { HostKeyFingerprint } from './fingerprint';
import { pickMethod, prepareCredential } from './login.ssh';
import type { ConnectOptions, SshSession, SshTarget } from './session.ssh';
import { Session } from './session.ssh';

const { Client } = ssh2;

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_KEEPALIVE_MS = 15_000;

/**
 * Opens an SSH session and logs in. Fails with `ssh.host-key-unknown` / `ssh.host-key-changed`
 * before any credential is sent when the host key is not the pinned one; with `ssh.dns`,
 * `ssh.refused`, `ssh.unreachable`, `ssh.timeout`, `ssh.auth-failed` (listing the methods the server
 * offered), `ssh.key-unreadable`, `ssh.agent-unavailable` otherwise.
 */
export async function connectSsh(target: SshTarget, opts: ConnectOptions = {}): Promise<Result<SshSession>> {
  const endpoint: SshEndpoint = { address: target.address, port: target.port ?? 22, user: target.user };
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const credential = await prepareCredential(endpoint, target.auth);
  if (!credential.ok) {
    return credential;
  }

  const client = new Client();
  let presented: HostKeyFingerprint | undefined;
  let hostKeyError: QuorateError | undefined;
  let serverMethods: AuthenticationType[] | undefined;
  const tried = new Set<string>();
  const method = credential.value;
  const pinned = opts.pinnedFingerprint === undefined ? undefined : normaliseFingerprint(opts.pinnedFingerprint);

  const authHandler = (
    methodsLeft: AuthenticationType[] | null,
    _partial: boolean | null,
    next: (m: AnyAuthMethod | false) => void,
  ): void => {
    // First ask with "none": the server's refusal lists the methods it accepts, which the
    // auth-failed message names whatever method the user picked.
    if (methodsLeft === null || methodsLeft === undefined) {
      next({ type: 'none', username: endpoint.user });
      return;
    }
    serverMethods = methodsLeft;
    const pick = pickMethod(method, methodsLeft, tried, endpoint.user);
    next(pick ?? false);
  };

  const config: ConnectConfig = {
    host: endpoint.address,
    port: endpoint.port,
    username: endpoint.user,
    readyTimeout: timeoutMs,
    keepaliveInterval: opts.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
    keepaliveCountMax: 3,
    authHandler: authHandler as unknown as ConnectConfig['authHandler'],
    hostVerifier: (key: Buffer) => {
      presented = fingerprintOfKeyBlob(key);
      if (pinned === undefined) {
        hostKeyError = hostKeyUnknownError(endpoint, presented.fingerprint, presented.algorithm);
        return false;
      }
      if (pinned !== presented.fingerprint) {
        hostKeyError = hostKeyChangedError(endpoint, pinned, presented.fingerprint, presented.algorithm);
        return false;
      }
      return true;
    },
  };

  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: Result<SshSession>): void => {
      if (settled) {
        return;
      }
      settled = true;
      client.removeListener('ready', onReady);
      if (!result.ok) {
        client.end();
      }
      resolve(result);
    };
    const onReady = (): void => {
      if (!presented) {
        settle(
          err(
            'ssh.failed',
            `${endpointLabel(endpoint)} logged in without a host key check`,
            'this is a bug in Quorate; please report it',
          ),
        );
        return;
      }
      settle(ok(new Session(client, endpoint, presented, target, opts)));
    };
    client.on('ready', onReady);
    client.on('error', (e: Error & { level?: string; code?: string }) => {
      if (hostKeyError) {
        settle({ ok: false, error: hostKeyError });
        return;
      }
      settle({
        ok: false,
        error: classifyConnectFailure(
          endpoint,
          { level: e.level, code: e.code, message: e.message },
          {
            timeoutMs,
            serverMethods,
            triedMethod: method.kind === 'agent' ? 'publickey' : method.kind === 'key' ? 'publickey' : 'password',
          },
        ),
      });
    });
    client.on('close', () => {
      if (hostKeyError) {
        settle({ ok: false, error: hostKeyError });
      } else {
        settle(
          err(
            'ssh.disconnected',
            `${endpointLabel(endpoint)} closed the connection before the login finished`,
            "check the server's sshd log (it may refuse this client or limit connections)",
          ),
        );
      }
    });
    try {
      client.connect(config);
    } catch (e) {
      settle(err('ssh.failed', `could not start SSH to ${endpointLabel(endpoint)}`, 'check the address and port', e));
    }
  });
}
