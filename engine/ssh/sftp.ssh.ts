/**
 * Atomic uploads over SFTP: written beside the target under a temporary name, given its mode, and
 * renamed into place (posix-rename), so a reader never sees half a file. As root for a sudo user:
 * staged in the user's home, then moved into place by root (`sudoInstallCommand`).
 */
import { randomBytes } from 'node:crypto';
import type { Client, SFTPWrapper } from 'ssh2';
import { err, ok } from '../result';
import type { Result } from '../result';
import { sudoInstallCommand, uploadTempPath } from './commands';
import type { CommandOutput } from './runner';

/** The connection's SFTP subsystem (`label` names the machine in messages). */
export function openSftp(client: Client, label: string): Promise<Result<SFTPWrapper>> {
  return new Promise((resolve) => {
    try {
      client.sftp((error, sftp) => {
        if (error) {
          resolve(
            err(
              'ssh.sftp-unavailable',
              `SFTP is not available on ${label}`,
              'enable the sftp subsystem in sshd_config (Subsystem sftp /usr/lib/openssh/sftp-server)',
              error,
            ),
          );
        } else {
          resolve(ok(sftp));
        }
      });
    } catch (e) {
      resolve(err('ssh.disconnected', `the SSH session to ${label} is closed`, 'connect again', e));
    }
  });
}

export interface SftpUpload {
  readonly remotePath: string;
  readonly data: string | Uint8Array;
  readonly mode: number;
  readonly label: string;
  /** Set for an upload as root by a non-root user: runs the install command through sudo. */
  readonly install?: (command: string) => Promise<Result<CommandOutput>>;
}

export async function uploadOverSftp(sftp: SFTPWrapper, u: SftpUpload): Promise<Result<void>> {
  const { remotePath, mode } = u;
  const bytes = typeof u.data === 'string' ? Buffer.from(u.data, 'utf8') : Buffer.from(u.data);
  const nonce = randomBytes(6).toString('hex');
  const asRoot = u.install !== undefined;
  const fail = (what: string, e: unknown): Result<never> =>
    err(
      'ssh.upload-failed',
      `could not ${what} ${remotePath} on ${u.label}`,
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
  if (u.install) {
    const installed = await u.install(sudoInstallCommand(temp, remotePath, mode, nonce));
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
