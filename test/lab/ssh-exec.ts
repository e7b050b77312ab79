/**
 * A minimal ssh2 client for lab self-tests and fixtures: connect, run one command, close. Host keys
 * are accepted blindly (lab hosts only); product code uses engine/ssh, which pins them.
 */
import { Client } from 'ssh2';

export interface SshExecOptions {
  readonly host: string;
  readonly port?: number;
  readonly username: string;
  readonly password?: string;
  readonly privateKey?: string;
  readonly stdin?: string;
  readonly timeoutMs?: number;
}

export interface SshExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  /** Host key as sshd presented it (raw key blob). */
  readonly hostKey: Buffer;
}

/** Run `command` over SSH; rejects on connection or authentication failure. */
export function sshExec(opts: SshExecOptions, command: string): Promise<SshExecResult> {
  return new Promise((resolve, reject) => {
    const conn = new Client();
    let hostKey: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      conn.end();
      reject(new Error(`ssh ${opts.username}@${opts.host}: timed out`));
    }, opts.timeoutMs ?? 15_000);
    conn.on('ready', () => {
      conn.exec(command, (e, stream) => {
        if (e) {
          clearTimeout(timer);
          conn.end();
          reject(e);
          return;
        }
        let stdout = '';
        let stderr = '';
        let exitCode: number | null = null;
        stream.on('data', (b: Buffer) => (stdout += b.toString()));
        stream.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        stream.on('exit', (code: number | null) => (exitCode = code));
        stream.on('close', () => {
          clearTimeout(timer);
          conn.end();
          resolve({ stdout, stderr, exitCode, hostKey });
        });
        stream.end(opts.stdin ?? '');
      });
    });
    conn.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    conn.connect({
      host: opts.host,
      port: opts.port ?? 22,
      username: opts.username,
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      ...(opts.privateKey !== undefined ? { privateKey: opts.privateKey } : {}),
      tryKeyboard: false,
      readyTimeout: opts.timeoutMs ?? 15_000,
      hostVerifier: (key: Buffer) => {
        hostKey = key;
        return true;
      },
    });
  });
}
