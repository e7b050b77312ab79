/**
 * SSH sessions over ssh2: the `CommandRunner` every remote action goes through, once logged in
 * (`connect.ssh.ts` opens them, checking the pinned host key first). Exit codes always returned,
 * commands as root through sudo with the password only ever written to sudo's stdin; one command per
 * channel (`exec.ssh.ts`), atomic uploads (`sftp.ssh.ts`), unix-socket forwards.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Client, SFTPWrapper } from 'ssh2';
import { err, ok } from '../result';
import type { Result } from '../result';
import { classifySudoFailure, killMarkedCommand, markCommand, sudoProbeCommands, sudoWrap } from './commands';
import type { SudoFailure, SudoMode } from './commands';
import { endpointLabel, sudoFailureError } from './errors';
import type { SshEndpoint } from './errors';
import { execOnClient } from './exec.ssh';
import type { HostKeyFingerprint } from './fingerprint';
import { openSftp, uploadOverSftp } from './sftp.ssh';
import type { CommandOutput, CommandRunner, RunOptions } from './runner';

export type SshAuth =
  | { readonly kind: 'password'; readonly password: string }
  | { readonly kind: 'key'; readonly path: string; readonly passphrase?: string }
  | { readonly kind: 'agent'; readonly socket?: string };

export interface SshTarget {
  readonly address: string;
  /** Default 22. */
  readonly port?: number;
  readonly user: string;
  readonly auth: SshAuth;
  /** For messages, e.g. the hostname: `pve2 (root@198.18.0.12:22)`. */
  readonly name?: string;
}

export interface ConnectOptions {
  /** `SHA256:…`. Without it the connection is refused with `ssh.host-key-unknown` (carrying the fingerprint). */
  readonly pinnedFingerprint?: string;
  /** Connect + handshake + login, milliseconds. Default 15 000. */
  readonly timeoutMs?: number;
  /** Keepalive interval, milliseconds (3 unanswered → the session is dropped). Default 15 000; 0 = off. */
  readonly keepaliveMs?: number;
  /** For `run(…, { sudo: true })` as a non-root user. Defaults to the login password for password logins. */
  readonly sudoPassword?: string;
}

export interface UploadOptions {
  /** Write as root through sudo (for a non-root session user); a no-op for root. */
  readonly sudo?: boolean;
}

/** A logged-in SSH connection. */
export interface SshSession extends CommandRunner {
  readonly endpoint: SshEndpoint;
  /** The key the host presented (equal to the pinned one). */
  readonly hostKey: HostKeyFingerprint;
  upload(remotePath: string, data: string | Uint8Array, mode?: number, options?: UploadOptions): Promise<Result<void>>;
  /**
   * A byte stream to a unix socket on the host (OpenSSH stream-local forwarding,
   * `direct-streamlocal@openssh.com`): no listening port on the host. sshd opens the socket as the
   * session user, so a root-only socket needs a root session.
   */
  forwardUnixSocket(remotePath: string): Promise<Result<Duplex>>;
  /** The connection ended (closed here, or dropped by the network or the host). */
  readonly closed?: boolean;
  /**
   * Starts `command` (as root with `sudo: true`) and returns its stdin/stdout as one byte stream, for
   * long-lived protocols over a command (e.g. a bridge to a root-only socket for a sudo user). The
   * sudo password, when needed, has already been written and consumed by sudo; stderr is on
   * `stream.stderr`. Ending the stream closes the command's stdin.
   */
  openCommandStream(
    command: string,
    options?: { readonly sudo?: boolean },
  ): Promise<Result<Duplex & { readonly stderr: NodeJS.ReadableStream }>>;
}

/** The logged-in session `connectSsh` returns (connect.ssh.ts). */
export class Session implements SshSession {
  readonly label: string;
  readonly endpoint: SshEndpoint;
  readonly hostKey: HostKeyFingerprint;
  readonly #client: Client;
  readonly #sudoPassword: string | undefined;
  #sudoMode: Promise<Result<SudoMode>> | undefined;
  #sftp: Promise<Result<SFTPWrapper>> | undefined;
  #closed = false;

  constructor(
    client: Client,
    endpoint: SshEndpoint,
    hostKey: HostKeyFingerprint,
    target: SshTarget,
    opts: ConnectOptions,
  ) {
    this.#client = client;
    this.endpoint = endpoint;
    this.hostKey = hostKey;
    this.label = target.name ? `${target.name} (${endpointLabel(endpoint)})` : endpointLabel(endpoint);
    this.#sudoPassword = opts.sudoPassword ?? (target.auth.kind === 'password' ? target.auth.password : undefined);
    client.on('close', () => {
      this.#closed = true;
    });
    // Late transport errors (keepalive timeout, reset) end the session; pending commands see 'close'.
    client.on('error', () => {});
  }

  get closed(): boolean {
    return this.#closed;
  }

  async run(command: string, options: RunOptions = {}): Promise<Result<CommandOutput>> {
    const marker = `quorate-run-${randomBytes(8).toString('hex')}`;
    if (!options.sudo || this.endpoint.user === 'root') {
      return this.#exec(markCommand(command, marker), options, undefined, () => this.#killMarked(marker, 'root'));
    }
    const mode = await this.#findSudoMode();
    if (!mode.ok) {
      return mode;
    }
    const sudoMode = mode.value;
    const prefix = sudoMode === 'password' ? `${this.#sudoPassword ?? ''}\n` : undefined;
    const result = await this.#exec(markCommand(sudoWrap(command, sudoMode), marker), options, prefix, () =>
      this.#killMarked(marker, sudoMode),
    );
    if (result.ok && result.value.exitCode === 1 && sudoMode === 'password') {
      // The password can change between the probe and this command.
      const failure = classifySudoFailure(result.value.stderr.split('\n').slice(0, 3).join('\n'));
      if (failure === 'wrong-password' && result.value.stdout === '') {
        return this.#sudoError(failure);
      }
    }
    return result;
  }

  /** Stops a timed-out or cancelled command on the host (see `killMarkedCommand`); best effort, ≤ 5 s. */
  async #killMarked(marker: string, mode: SudoMode): Promise<void> {
    const asRoot = this.endpoint.user === 'root' ? 'root' : mode;
    const prefix = asRoot === 'password' ? `${this.#sudoPassword ?? ''}\n` : undefined;
    await this.#exec(sudoWrap(killMarkedCommand(marker), asRoot), { timeoutMs: 5_000 }, prefix, undefined);
  }

  /** Finds once per session whether sudo needs no password, the password, or refuses. */
  #findSudoMode(): Promise<Result<SudoMode>> {
    this.#sudoMode ??= (async (): Promise<Result<SudoMode>> => {
      const free = await this.#exec(sudoProbeCommands.withoutPassword, { timeoutMs: 15_000 }, undefined, undefined);
      if (!free.ok) {
        return free;
      }
      if (free.value.exitCode === 0) {
        return ok('nopasswd');
      }
      if (/command not found|sudo: not found/.test(free.value.stderr)) {
        return err(
          'ssh.sudo-not-allowed',
          `sudo is not installed on ${this.label}`,
          'log in as root, or install sudo there (apt-get install sudo) and allow this user in /etc/sudoers.d',
        );
      }
      const failure = classifySudoFailure(free.value.stderr);
      if (failure === 'not-allowed') {
        return this.#sudoError(failure);
      }
      if (this.#sudoPassword === undefined) {
        return this.#sudoError('password-required');
      }
      const withPassword = await this.#exec(
        sudoProbeCommands.withPassword,
        { timeoutMs: 15_000 },
        `${this.#sudoPassword}\n`,
        undefined,
      );
      if (!withPassword.ok) {
        return withPassword;
      }
      if (withPassword.value.exitCode === 0) {
        return ok('password');
      }
      return this.#sudoError(classifySudoFailure(withPassword.value.stderr) ?? 'wrong-password');
    })();
    return this.#sudoMode;
  }

  #sudoError(failure: SudoFailure): Result<never> {
    return { ok: false, error: sudoFailureError(failure, this.endpoint.user, this.label) };
  }

  #exec(
    command: string,
    options: RunOptions,
    stdinPrefix: string | undefined,
    stop: (() => Promise<void>) | undefined,
  ): Promise<Result<CommandOutput>> {
    return execOnClient(this.#client, this.label, () => this.#closed, command, options, stdinPrefix, stop);
  }

  #sftpSession(): Promise<Result<SFTPWrapper>> {
    this.#sftp ??= openSftp(this.#client, this.label).then((r) => {
      if (!r.ok) {
        this.#sftp = undefined;
      }
      return r;
    });
    return this.#sftp;
  }

  async upload(
    remotePath: string,
    data: string | Uint8Array,
    mode = 0o644,
    options: UploadOptions = {},
  ): Promise<Result<void>> {
    const sftp = await this.#sftpSession();
    if (!sftp.ok) {
      return sftp;
    }
    const asRoot = options.sudo === true && this.endpoint.user !== 'root';
    return uploadOverSftp(sftp.value, {
      remotePath,
      data,
      mode,
      label: this.label,
      // As root: staged by SFTP in the user's home, then moved into place by root.
      ...(asRoot ? { install: (command: string) => this.run(command, { sudo: true, timeoutMs: 60_000 }) } : {}),
    });
  }

  async openCommandStream(
    command: string,
    options: { readonly sudo?: boolean } = {},
  ): Promise<Result<Duplex & { readonly stderr: NodeJS.ReadableStream }>> {
    let wrapped = command;
    let prefix: string | undefined;
    if (options.sudo && this.endpoint.user !== 'root') {
      const mode = await this.#findSudoMode();
      if (!mode.ok) {
        return mode;
      }
      wrapped = sudoWrap(command, mode.value);
      if (mode.value === 'password') {
        prefix = `${this.#sudoPassword ?? ''}\n`;
      }
    }
    if (this.#closed) {
      return err('ssh.disconnected', `the SSH session to ${this.label} is closed`, 'connect again');
    }
    return new Promise((resolve) => {
      try {
        this.#client.exec(wrapped, (error, channel) => {
          if (error) {
            resolve(
              err(
                'ssh.exec-failed',
                `could not start a command on ${this.label}`,
                'the server refused a new session channel (MaxSessions?); try again',
                error,
              ),
            );
            return;
          }
          if (prefix !== undefined) {
            channel.write(prefix);
          }
          resolve(ok(channel));
        });
      } catch (e) {
        resolve(err('ssh.disconnected', `the SSH session to ${this.label} is closed`, 'connect again', e));
      }
    });
  }

  forwardUnixSocket(remotePath: string): Promise<Result<Duplex>> {
    return new Promise((resolve) => {
      try {
        this.#client.openssh_forwardOutStreamLocal(remotePath, (error, stream) => {
          if (error) {
            resolve(
              err(
                'ssh.forward-failed',
                `could not open the unix socket ${remotePath} on ${this.label}`,
                'check that the agent runs there and that this SSH user may open the socket (AllowStreamLocalForwarding must not be "no")',
                error,
              ),
            );
          } else {
            resolve(ok(stream));
          }
        });
      } catch (e) {
        resolve(err('ssh.disconnected', `the SSH session to ${this.label} is closed`, 'connect again', e));
      }
    });
  }

  close(): Promise<void> {
    if (this.#closed) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#client.destroy();
        resolve();
      }, 2_000);
      this.#client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#client.end();
    });
  }
}
