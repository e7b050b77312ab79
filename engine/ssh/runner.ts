/**
 * The seam every remote action goes through (k3sup's operator, with its holes fixed: host keys are
 * always verified, exit codes are never dropped). `session.ssh.ts` implements it over ssh2
 * (`connectSsh`), `as-root.ts` makes any session root on its machine (sudo for a non-root user), and
 * the lab's `test/lab/lab.ts` implements it with nsenter for test set-up. Everything that acts on a
 * machine takes a `CommandRunner`, so it runs the same over each.
 */
import type { Result } from '../result';

export interface RunOptions {
  /** Live output, one call per chunk, already split by stream. */
  readonly progress?: (chunk: { stream: 'stdout' | 'stderr'; text: string }) => void;
  /** Run through `sudo -S` when the session's user is not root. */
  readonly sudo?: boolean;
  /** Sent on stdin, then closed. */
  readonly stdin?: string | Uint8Array;
  /** Milliseconds; the command is killed (channel closed) when it elapses. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
}

export interface CommandRunner {
  /** A human name for messages: `pve2 (198.18.0.12:22)`. */
  readonly label: string;
  /** Resolves with the output whatever the exit code; errors are transport failures only. */
  run(command: string, options?: RunOptions): Promise<Result<CommandOutput>>;
  /** Upload bytes to `remotePath` atomically (temp file + rename), with `mode`. */
  upload(remotePath: string, data: string | Uint8Array, mode?: number): Promise<Result<void>>;
  close(): Promise<void>;
}
