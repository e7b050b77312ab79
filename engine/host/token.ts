/**
 * The browser host's secrets: one-time sign-in codes and the session ids they are exchanged for.
 * Anyone on the machine can connect to 127.0.0.1, so the session (an HttpOnly cookie only the user's
 * browser holds) is what makes the API the user's own. A code travels in a URL (stdout, the browser's
 * command line, briefly its address bar), so it is single-use and expires quickly; the session never
 * appears in a URL.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 random bits, URL-safe. */
export function createToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Constant-time comparison. Both sides are hashed first so the comparison takes the same time
 * whatever the length of the guess (`timingSafeEqual` itself requires equal lengths).
 */
export function tokensEqual(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 1024) {
    return false;
  }
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/** How long a sign-in code stays valid when nobody uses it. */
export const CODE_TTL_MS = 120_000;

/**
 * Sign-in codes and sessions of one host. `mint` makes a code; `redeem` consumes it (once, before
 * it expires) and returns a new session id; `isSession` checks a cookie's value.
 */
export class SessionKeeper {
  readonly #codes = new Map<string, number>();
  readonly #sessions: string[] = [];
  readonly #now: () => number;
  readonly #ttlMs: number;

  constructor(options: { now?: () => number; ttlMs?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#ttlMs = options.ttlMs ?? CODE_TTL_MS;
  }

  mint(): string {
    this.#sweep();
    const code = createToken();
    this.#codes.set(code, this.#now() + this.#ttlMs);
    return code;
  }

  /** The new session id, or undefined when the code is unknown, used or expired. */
  redeem(code: string | null | undefined): string | undefined {
    this.#sweep();
    for (const [known] of this.#codes) {
      if (tokensEqual(known, code)) {
        this.#codes.delete(known);
        const session = createToken();
        this.#sessions.push(session);
        return session;
      }
    }
    return undefined;
  }

  isSession(value: string | null | undefined): boolean {
    let found = false;
    for (const s of this.#sessions) {
      // No early exit: the time taken does not say which session (if any) matched.
      found = tokensEqual(s, value) || found;
    }
    return found;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [code, expires] of this.#codes) {
      if (expires <= now) {
        this.#codes.delete(code);
      }
    }
  }
}
