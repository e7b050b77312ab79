/**
 * Pure builders for what Quorate sends to a remote shell, and pure classifiers for what comes back.
 * Nothing here touches a socket: table tests pin every spelling.
 */
import { sh } from '../shell';

/** Quoting lives in engine/shell (the `sh` tagged template); these names stay for older callers. */
export { quote as shellQuote, quoteArgv as shellJoin } from '../shell';

/** How sudo is reached on a session: found once per session by `sudoProbeCommands`. */
export type SudoMode = 'root' | 'nopasswd' | 'password';

/**
 * Wraps a shell command so it runs as root.
 * - `root`: unchanged (the session user already is root).
 * - `nopasswd`: `sudo -n`, which fails instead of prompting.
 * - `password`: `sudo -k -S -p ''`: the password is read from the first line of stdin (the caller
 *   prepends it; it is never on a command line, where `ps` would show it), no prompt text is mixed
 *   into stderr, and `-k` ignores cached credentials so sudo always consumes that first line — with
 *   a cached timestamp it would otherwise be handed to the command as input.
 */
export function sudoWrap(command: string, mode: SudoMode): string {
  if (mode === 'root') {
    return command;
  }
  return mode === 'nopasswd' ? sh`sudo -n -- sh -c ${command}` : sh`sudo -k -S -p ${''} -- sh -c ${command}`;
}

/** The two commands that find a session's sudo mode: try without a password, then with it. */
export const sudoProbeCommands = {
  withoutPassword: 'LC_ALL=C sudo -k -n true',
  withPassword: "LC_ALL=C sudo -k -S -p '' true",
} as const;

export type SudoFailure = 'password-required' | 'not-allowed' | 'wrong-password';

/**
 * Reads sudo's stderr (sudo 1.8/1.9 spellings, English: the probes run with LC_ALL=C).
 * Returns null when the text is not a sudo refusal.
 */
export function classifySudoFailure(stderr: string): SudoFailure | null {
  if (/is not in the sudoers file|is not allowed to run sudo|may not run sudo/i.test(stderr)) {
    return 'not-allowed';
  }
  if (/incorrect password attempt|Sorry, try again|Authentication failure/i.test(stderr)) {
    return 'wrong-password';
  }
  if (/a password is required|a terminal is required|no password was provided|no askpass program/i.test(stderr)) {
    return 'password-required';
  }
  return null;
}

/**
 * The temporary name an atomic upload writes first: a dot file beside the target, so the final
 * rename stays on one filesystem (rename(2) is atomic only there).
 */
export function uploadTempPath(remotePath: string, nonce: string): string {
  const slash = remotePath.lastIndexOf('/');
  const dir = slash >= 0 ? remotePath.slice(0, slash + 1) : '';
  const base = slash >= 0 ? remotePath.slice(slash + 1) : remotePath;
  return `${dir}.${base}.quorate-${nonce}.tmp`;
}

/**
 * For a sudo user: the SFTP upload lands in a staging file the user owns, then root copies it
 * beside the target, sets the mode and renames it over the target (atomic), and removes the staging
 * file whatever happened. Run it through `sudoWrap`.
 */
export function sudoInstallCommand(stagingPath: string, remotePath: string, mode: number, nonce: string): string {
  const temp = uploadTempPath(remotePath, nonce);
  const octal = mode.toString(8).padStart(4, '0');
  return sh`cat -- ${stagingPath} > ${temp} && chmod ${octal} -- ${temp} && mv -f -- ${temp} ${remotePath}; rc=$?; rm -f -- ${stagingPath} ${temp}; exit $rc`;
}

/**
 * Runs `command` under `sh` with `marker` as its `$0`, so the process can be found on the host by
 * its arguments. sshd starts every exec in a session of its own (setsid), so the marked shell's
 * session id names everything the command started.
 */
export function markCommand(command: string, marker: string): string {
  return sh`sh -c ${command} ${marker}`;
}

/**
 * Kills every process in the session of the shell carrying `marker` (see `markCommand`). Needed
 * because OpenSSH ignores the `signal` channel request for some sessions (root logins: "session
 * signalling requires privilege separation") and closing a channel does not stop a command that
 * does not write. The marker is assembled at run time so this script never matches itself.
 */
export function killMarkedCommand(marker: string): string {
  const split = Math.max(1, Math.floor(marker.length / 2));
  // One grep over every cmdline; the pattern comes on stdin (printf is a builtin) so no process
  // of this script carries the whole marker in its arguments.
  return [
    sh`m=${marker.slice(0, split)}; m="$m"${marker.slice(split)}`,
    'for f in $(printf "%s\\n" "$m" | grep -lF -f - /proc/[0-9]*/cmdline 2>/dev/null); do',
    '  s=$(sed "s/.*) //" "${f%/cmdline}/stat" 2>/dev/null | cut -d" " -f4)',
    '  [ -n "$s" ] && [ "$s" -gt 1 ] || continue',
    '  kill -KILL -- "-$s" 2>/dev/null',
    '  command -v pkill >/dev/null 2>&1 && pkill -KILL -s "$s" 2>/dev/null',
    'done',
    'true',
  ].join('\n');
}
