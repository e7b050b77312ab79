/**
 * Expected failures are values; bugs throw (`BugError`).
 * Codes are namespaced (`ssh.auth-failed`, `corosync.parse`, `preflight.clock-skew`) and are what
 * crosses a wire: receivers rebuild errors by `code`, never by `instanceof`.
 */
export interface QuorateError {
  /** Namespaced, stable: `area.what-happened`. */
  readonly code: string;
  /** One sentence for the user: where and what. */
  readonly message: string;
  /** What the user can do about it, in the window's words (its buttons and dialogs). */
  readonly hint: string;
  /**
   * The same advice for a terminal (flags and commands), when it differs from `hint`. Front doors
   * pick theirs: the CLI prints `cliHint ?? hint`; the window never sees this (the RPC drops it).
   */
  readonly cliHint?: string;
  /** Lower-level cause, kept for logs and "details". Never contains secrets. */
  readonly cause?: string;
}

export type Result<T, E extends QuorateError = QuorateError> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err(code: string, message: string, hint: string, cause?: unknown): { ok: false; error: QuorateError } {
  const error: QuorateError =
    cause === undefined ? { code, message, hint } : { code, message, hint, cause: describeCause(cause) };
  return { ok: false, error };
}

/** `error` with a terminal-specific hint beside its window hint. */
export function withCliHint<E extends QuorateError>(error: E, cliHint: string): E {
  return { ...error, cliHint };
}

/** The hint a terminal shows for `error`. */
export function cliHintOf(error: QuorateError): string {
  return error.cliHint ?? error.hint;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    return cause.message;
  }
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}

/** For states the code believes impossible. Never shown to a user as an expected failure. */
export class BugError extends Error {
  constructor(message: string) {
    super(`Quorate bug: ${message}`);
    this.name = 'BugError';
  }
}

/** Unwrap in tests and scripts where a failure is a bug. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) {
    throw new BugError(`${result.error.code}: ${result.error.message}`);
  }
  return result.value;
}
