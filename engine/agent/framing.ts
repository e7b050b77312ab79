/**
 * Newline-delimited JSON framing for the agent protocol. Pure: bytes go in through `push(chunk)`,
 * whole messages come out through `onMessage`; the socket adapter only pipes bytes into it.
 */

/** A line longer than this (in UTF-16 units) is refused: a peer that never sends `\n` must not grow memory. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

export interface LineDecoderHandlers {
  onMessage(value: unknown): void;
  /** A line that is not JSON, or too long. The decoder keeps going with the next line. */
  onError(problem: string): void;
}

/**
 * Linear in the input: each chunk is searched for newlines once, from where the last search ended;
 * the unfinished tail is kept as a list of pieces and joined only when its newline arrives. (Joining
 * and re-scanning the whole buffer per chunk was quadratic: 4 MiB in 1 KiB chunks cost seconds.)
 */
export class LineDecoder {
  readonly #handlers: LineDecoderHandlers;
  readonly #decoder = new TextDecoder();
  readonly #maxLine: number;
  #pieces: string[] = [];
  #pendingLength = 0;
  #discarding = false;
  #scanned = 0;

  constructor(handlers: LineDecoderHandlers, options: { maxLine?: number } = {}) {
    this.#handlers = handlers;
    this.#maxLine = options.maxLine ?? MAX_LINE_BYTES;
  }

  /** Characters examined so far (for tests: stays proportional to the input). */
  get scanned(): number {
    return this.#scanned;
  }

  /** Feed bytes (or text) as they arrive, split anywhere, even inside a UTF-8 sequence. */
  push(chunk: Uint8Array | string): void {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    let from = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      this.#scanned += nl - from + 1;
      const head = text.slice(from, nl);
      if (this.#discarding) {
        this.#discarding = false;
      } else if (this.#pendingLength + head.length > this.#maxLine) {
        this.#tooLong();
        this.#discarding = false;
      } else {
        const line = this.#pieces.length === 0 ? head : this.#pieces.join('') + head;
        if (line.trim() !== '') {
          this.#decodeLine(line);
        }
      }
      this.#pieces = [];
      this.#pendingLength = 0;
      from = nl + 1;
      nl = text.indexOf('\n', from);
    }
    this.#scanned += text.length - from;
    if (from < text.length && !this.#discarding) {
      const rest = text.slice(from);
      if (this.#pendingLength + rest.length > this.#maxLine) {
        this.#pieces = [];
        this.#pendingLength = 0;
        this.#tooLong();
        this.#discarding = true;
      } else {
        this.#pieces.push(rest);
        this.#pendingLength += rest.length;
      }
    }
  }

  #tooLong(): void {
    this.#handlers.onError(
      `a line longer than ${this.#maxLine} characters arrived without a newline; it was dropped up to the next newline`,
    );
  }

  #decodeLine(line: string): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      this.#handlers.onError(`not JSON: ${(e as Error).message}`);
      return;
    }
    this.#handlers.onMessage(value);
  }
}

/** One message as one line. JSON.stringify never emits a raw newline, so the framing is safe. */
export function encodeLine(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}
