/** Running a local command with a timeout, for the agent's facts and watchers. Never throws. */
import { execFile } from 'node:child_process';

export interface ExecOutcome {
  readonly stdout: string;
  readonly stderr: string;
  /** null when killed (timeout, abort, too much output) or not started. */
  readonly exitCode: number | null;
  /** The program does not exist on this machine. */
  readonly notFound: boolean;
  readonly timedOut: boolean;
  /** Killed because it wrote more than the cap: its output is cut off and must not be parsed. */
  readonly tooLarge?: boolean;
}

/** What a tool may print before it is stopped: far above any corosync tool's output. */
export const MAX_EXEC_OUTPUT = 4 * 1024 * 1024;

/**
 * Run `file args` (no shell), killing it after `timeoutMs` or when `signal` aborts. Output is capped
 * at `MAX_EXEC_OUTPUT` (then `tooLarge`). The abort listener is ours and always removed: Node's own
 * `signal` option leaves listeners behind when the program is missing, which a watch polling for
 * months turns into a leak.
 */
export function execCommand(
  file: string,
  args: readonly string[],
  timeoutMs = 5000,
  signal?: AbortSignal,
): Promise<ExecOutcome> {
  if (signal?.aborted) {
    return Promise.resolve({ stdout: '', stderr: '', exitCode: null, notFound: false, timedOut: false });
  }
  return new Promise((resolve) => {
    let onAbort: (() => void) | undefined;
    const child = execFile(
      file,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: MAX_EXEC_OUTPUT,
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (onAbort) {
          signal?.removeEventListener('abort', onAbort);
        }
        const e = error as (NodeJS.ErrnoException & { killed?: boolean; code?: string | number }) | null;
        const notFound = e?.code === 'ENOENT';
        const tooLarge = e?.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
        const timedOut = e !== null && e.killed === true && !tooLarge && !signal?.aborted;
        const exitCode = e === null ? 0 : typeof e.code === 'number' ? e.code : null;
        resolve({
          stdout: String(stdout ?? ''),
          stderr: String(stderr ?? ''),
          exitCode,
          notFound,
          timedOut,
          ...(tooLarge ? { tooLarge } : {}),
        });
      },
    );
    if (signal) {
      onAbort = () => child.kill('SIGKILL');
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}
