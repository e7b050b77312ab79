/**
 * SSH sessions over ssh2: the `CommandRunner` every remote action goes through. Host keys are always
 * verified (pinned fingerprint or a `ssh.host-key-unknown` refusal that carries the fingerprint),
 * exit codes always returned, sudo passwords only ever written to sudo's stdin.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthenticationType, ClientChannel, ConnectConfig, ParsedKey, SFTPWrapper } from 'ssh2';
import { err, ok } from '../result';
import type { QuorateError, Result } from '../result';
import {
  classifySudoFailure,
  killMarkedCommand,
  markCommand,
  sudoInstallCommand,
  sudoProbeCommands,
  sudoWrap,
  uploadTempPath,
} from './commands';
import type { SudoFailure, SudoMode } from './commands';
import { classifyConnectFailure, endpointLabel, hostKeyChangedError, hostKeyUnknownError } from './errors';
import type { SshEndpoint } from './errors';
import { fingerprintOfKeyBlob, normaliseFingerprint } from './fingerprint';
import type { HostKeyFingerprint } from './fingerprint';
import type { CommandOutput, CommandRunner, RunOptions } from './runner';

const { Client, utils } = ssh2;

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

type PreparedCredential =
  { kind: 'password'; password: string } | { kind: 'key'; key: ParsedKey } | { kind: 'agent'; socket: string };

async function prepareCredential(endpoint: SshEndpoint, auth: SshAuth): Promise<Result<PreparedCredential>> {
  const where = endpointLabel(endpoint);
  if (auth.kind === 'password') {
    return ok({ kind: 'password', password: auth.password });
  }
  if (auth.kind === 'agent') {
    const socket = auth.socket ?? process.env.SSH_AUTH_SOCK;
    if (!socket) {
      return err(
        'ssh.agent-unavailable',
        `no SSH agent to log in to ${where} with (SSH_AUTH_SOCK is not set)`,
        'start ssh-agent and add your key (ssh-add), or log in with a key file or a password',
      );
    }
    const info = await stat(socket).catch(() => null);
    if (!info?.isSocket()) {
      return err(
        'ssh.agent-unavailable',
        `the SSH agent socket ${socket} does not exist (for ${where})`,
        'start ssh-agent and add your key (ssh-add), or log in with a key file or a password',
      );
    }
    return ok({ kind: 'agent', socket });
  }
  let data: Buffer;
  try {
    data = await readFile(auth.path);
  } catch (e) {
    return err(
      'ssh.key-unreadable',
      `cannot read the key file ${auth.path} (for ${where})`,
      'check the path and that this user may read the file',
      e,
    );
  }
  const parsed = utils.parseKey(data, auth.passphrase);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || key instanceof Error) {
    const encrypted = /encrypted|passphrase|decrypt/i.test(key instanceof Error ? key.message : '');
    return err(
      'ssh.key-unreadable',
      encrypted
        ? `the key file ${auth.path} is encrypted and the passphrase is ${auth.passphrase === undefined ? 'missing' : 'wrong'} (for ${where})`
        : `${auth.path} is not a private key Quorate can read (for ${where})`,
      encrypted
        ? "give the key's passphrase, or load it into ssh-agent and log in with the agent"
        : 'use an OpenSSH private key (ed25519, ecdsa or rsa), e.g. ~/.ssh/id_ed25519',
      key instanceof Error ? key : undefined,
    );
  }
  if (key.getPrivatePEM() === null) {
    return err(
      'ssh.key-unreadable',
      `${auth.path} holds a public key, not a private one (for ${where})`,
      'give the private key file (without .pub)',
    );
  }
  return ok({ kind: 'key', key });
}

function pickMethod(
  cred: PreparedCredential,
  offered: readonly string[],
  tried: Set<string>,
  username: string,
): AnyAuthMethod | null {
  const take = (name: string): boolean => {
    if (tried.has(name) || !offered.includes(name)) {
      return false;
    }
    tried.add(name);
    return true;
  };
  if (cred.kind === 'password') {
    if (take('password')) {
      return { type: 'password', username, password: cred.password };
    }
    // Some sshd configurations (PAM) offer only keyboard-interactive: answer every prompt with the password.
    if (take('keyboard-interactive')) {
      return {
        type: 'keyboard-interactive',
        username,
        prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => cred.password)),
      };
    }
    return null;
  }
  if (cred.kind === 'key') {
    return take('publickey') ? { type: 'publickey', username, key: cred.key } : null;
  }
  return take('publickey') ? { type: 'agent', username, agent: cred.socket } : null;
}

/**
 * Sends the `signal` channel request (RFC 4254 §6.9): sshd (OpenSSH ≥ 7.9) `killpg`s the session's
 * process group, so a timed-out command does not linger on the host. ssh2's `channel.signal()`
 * sends nothing once stdin has been ended (the channel is no longer "writable"), which is always the
 * case here, so the request goes through the protocol object ssh2 keeps for that channel.
 */
function sendKill(client: InstanceType<typeof Client>, channel: ClientChannel): void {
  const internals = client as unknown as { _protocol?: { signal(id: number, name: string): void } };
  const outgoing = (channel as unknown as { outgoing?: { id: number; state: string } }).outgoing;
  if (!internals._protocol || !outgoing || outgoing.state !== 'open') {
    return;
  }
  try {
    internals._protocol.signal(outgoing.id, 'KILL');
  } catch {
    /* connection already gone */
  }
}

class Session implements SshSession {
  readonly label: string;
  readonly endpoint: SshEndpoint;
  readonly hostKey: HostKeyFingerprint;
  readonly #client: InstanceType<typeof Client>;
  readonly #sudoPassword: string | undefined;
  #sudoMode: Promise<Result<SudoMode>> | undefined;
  #sftp: Promise<Result<SFTPWrapper>> | undefined;
  #closed = false;

  constructor(
    client: InstanceType<typeof Client>,
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
    const who = `${this.endpoint.user} on ${this.label}`;
    switch (failure) {
      case 'password-required':
        return err(
          'ssh.sudo-password-required',
          `sudo needs a password for ${who}, and none was given`,
          'give the sudo password (for a password login it is the login password), or allow this user NOPASSWD in /etc/sudoers.d',
        );
      case 'not-allowed':
        return err(
          'ssh.sudo-not-allowed',
          `${who} may not use sudo`,
          `add the user to the sudo group (usermod -aG sudo ${this.endpoint.user}) or a file in /etc/sudoers.d, or log in as root`,
        );
      case 'wrong-password':
        return err(
          'ssh.sudo-wrong-password',
          `sudo refused the password for ${who}`,
          "give the password of this user on that machine (sudo asks for the user's own password, not root's)",
        );
    }
  }

  #exec(
    command: string,
    options: RunOptions,
    stdinPrefix: string | undefined,
    stop: (() => Promise<void>) | undefined,
  ): Promise<Result<CommandOutput>> {
    const where = this.label;
    if (this.#closed) {
      return Promise.resolve(err('ssh.disconnected', `the SSH session to ${where} is closed`, 'connect again'));
    }
    if (options.signal?.aborted) {
      return Promise.resolve(
        err('ssh.command-aborted', `cancelled before running on ${where}`, 'run it again when ready'),
      );
    }
    return new Promise((resolve) => {
      let settled = false;
      let channel: ClientChannel | undefined;
      let timer: NodeJS.Timeout | undefined;
      const stdout: string[] = [];
      const stderr: string[] = [];
      let exitCode: number | null = null;
      let exitSignal: string | null = null;
      const finish = (result: Result<CommandOutput>): void => {
        if (settled) {
          return;
        }
        settled = true;
        if (timer) {
          clearTimeout(timer);
        }
        options.signal?.removeEventListener('abort', onAbort);
        this.#client.removeListener('close', onClientClose);
        resolve(result);
      };
      const kill = (error: Result<never>): void => {
        if (settled) {
          return;
        }
        if (timer) {
          clearTimeout(timer);
        }
        options.signal?.removeEventListener('abort', onAbort);
        if (channel) {
          sendKill(this.#client, channel);
          channel.close();
        }
        // The signal request is not enough (see killMarkedCommand): also kill it by its marker.
        const stopped = stop && !this.#closed ? stop().catch(() => undefined) : Promise.resolve();
        settled = true;
        void stopped.then(() => {
          this.#client.removeListener('close', onClientClose);
          resolve(error);
        });
      };
      const onAbort = (): void => {
        kill(err('ssh.command-aborted', `cancelled while running on ${where}`, 'run it again when ready'));
      };
      const onClientClose = (): void => {
        finish(
          err(
            'ssh.disconnected',
            `the SSH connection to ${where} dropped while a command ran`,
            'check the machine and the network, then run it again',
          ),
        );
      };
      this.#client.on('close', onClientClose);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          kill(
            err(
              'ssh.command-timeout',
              `a command on ${where} did not finish within ${options.timeoutMs} ms`,
              'the machine may be overloaded or the command stuck; check it, or allow more time',
            ),
          );
        }, options.timeoutMs);
      }
      try {
        this.#client.exec(command, (error, ch) => {
          if (error) {
            finish(
              err(
                'ssh.exec-failed',
                `could not start a command on ${where}`,
                'the server refused a new session channel (MaxSessions?); try again',
                error,
              ),
            );
            return;
          }
          channel = ch;
          if (settled) {
            sendKill(this.#client, ch);
            ch.close();
            return;
          }
          const outDecoder = new StringDecoder('utf8');
          const errDecoder = new StringDecoder('utf8');
          const emit = (stream: 'stdout' | 'stderr', text: string): void => {
            if (text === '') {
              return;
            }
            (stream === 'stdout' ? stdout : stderr).push(text);
            options.progress?.({ stream, text });
          };
          ch.on('data', (chunk: Buffer) => emit('stdout', outDecoder.write(chunk)));
          ch.stderr.on('data', (chunk: Buffer) => emit('stderr', errDecoder.write(chunk)));
          ch.on('exit', (code: number | null, signalName?: string) => {
            if (typeof code === 'number') {
              exitCode = code;
            } else if (signalName) {
              exitSignal = signalName;
            }
          });
          ch.on('close', () => {
            emit('stdout', outDecoder.end());
            emit('stderr', errDecoder.end());
            finish(ok({ stdout: stdout.join(''), stderr: stderr.join(''), exitCode, signal: exitSignal }));
          });
          if (stdinPrefix !== undefined) {
            ch.write(stdinPrefix);
          }
          if (options.stdin !== undefined) {
            ch.end(typeof options.stdin === 'string' ? options.stdin : Buffer.from(options.stdin));
          } else {
            ch.end();
          }
        });
      } catch (e) {
        finish(err('ssh.disconnected', `the SSH session to ${where} is closed`, 'connect again', e));
      }
    });
  }

  #sftpSession(): Promise<Result<SFTPWrapper>> {
    this.#sftp ??= new Promise((resolve) => {
      try {
        this.#client.sftp((error, sftp) => {
          if (error) {
            this.#sftp = undefined;
            resolve(
              err(
                'ssh.sftp-unavailable',
                `SFTP is not available on ${this.label}`,
                'enable the sftp subsystem in sshd_config (Subsystem sftp /usr/lib/openssh/sftp-server)',
                error,
              ),
            );
          } else {
            resolve(ok(sftp));
          }
        });
      } catch (e) {
        resolve(err('ssh.disconnected', `the SSH session to ${this.label} is closed`, 'connect again', e));
      }
    });
    return this.#sftp;
  }

  async upload(
    remotePath: string,
    data: string | Uint8Array,
    mode = 0o644,
    options: UploadOptions = {},
  ): Promise<Result<void>> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    const nonce = randomBytes(6).toString('hex');
    const asRoot = options.sudo === true && this.endpoint.user !== 'root';
    const sftpResult = await this.#sftpSession();
    if (!sftpResult.ok) {
      return sftpResult;
    }
    const sftp = sftpResult.value;
    const fail = (what: string, e: unknown): Result<never> =>
      err(
        'ssh.upload-failed',
        `could not ${what} ${remotePath} on ${this.label}`,
        asRoot
          ? 'check that the directory exists and the user may write its home directory'
          : 'check that the directory exists and that this user may write there (or upload with sudo)',
        e,
      );
    const call = <T>(
      fn: (cb: (e: Error | null | undefined, v?: T) => void) => void,
    ): Promise<{ error?: unknown; value?: T }> =>
      new Promise((resolve) => fn((e, v) => resolve(e ? { error: e } : { value: v })));

    // As root through sudo: stage in the user's home (SFTP's start directory), then let root move it.
    const temp = asRoot ? `.quorate-upload-${nonce}` : uploadTempPath(remotePath, nonce);
    const wrote = await call<void>((cb) => sftp.writeFile(temp, bytes, { mode: asRoot ? 0o600 : mode }, (e) => cb(e)));
    if (wrote.error) {
      return fail('write', wrote.error);
    }
    if (asRoot) {
      const installed = await this.run(sudoInstallCommand(temp, remotePath, mode, nonce), {
        sudo: true,
        timeoutMs: 60_000,
      });
      if (!installed.ok) {
        return installed;
      }
      if (installed.value.exitCode !== 0) {
        return fail('install', installed.value.stderr.trim() || `exit code ${installed.value.exitCode}`);
      }
      return ok(undefined);
    }
    const cleanup = (): Promise<unknown> => call<void>((cb) => sftp.unlink(temp, (e) => cb(e)));
    // The open mode is filtered by the server's umask: set it explicitly.
    const chmod = await call<void>((cb) => sftp.chmod(temp, mode, (e) => cb(e)));
    if (chmod.error) {
      await cleanup();
      return fail('set the mode of', chmod.error);
    }
    // posix-rename@openssh.com replaces the target atomically; plain SFTP rename refuses an existing target.
    const renamed = await call<void>((cb) => sftp.ext_openssh_rename(temp, remotePath, (e) => cb(e)));
    if (renamed.error) {
      await cleanup();
      return fail('rename into', renamed.error);
    }
    return ok(undefined);
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
