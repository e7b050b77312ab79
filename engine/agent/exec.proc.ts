/** Running a local command with a timeout, for the agent's facts and watchers. Never throws. */
import { execFile } from 'node:child_process';

export interface ExecOutcome {
  readonly stdout: string;
  readonly stderr: string;
  /** null when killed (timeout) or not started. */
  readonly exitCode: number | null;
  /** The program does not exist on this machine. */
  readonly notFound: boolean;
  readonly timedOut: boolean;
}

/** Run `file args` (no shell), killing it after `timeoutMs`. Output is capped at 4 MiB. */
export function execCommand(
  file: string,
  args: readonly string[],
  timeoutMs = 5000,
  signal?: AbortSignal,
): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 4 * 1024 * 1024,
        encoding: 'utf8',
        signal,
        env: { ...process.env, LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { killed?: boolean; code?: string | number }) | null;
        const notFound = e?.code === 'ENOENT';
        const timedOut = e !== null && e.killed === true;
        const exitCode = e === null ? 0 : typeof e.code === 'number' ? e.code : null;
        resolve({ stdout: String(stdout ?? ''), stderr: String(stderr ?? ''), exitCode, notFound, timedOut });
      },
    );
  });
}
