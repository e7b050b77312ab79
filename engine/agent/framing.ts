/**
 * Newline-delimited JSON framing for the agent protocol. Pure: bytes go in through `push(chunk)`,
 * whole messages come out through `onMessage`; the socket adapter only pipes bytes into it.
 */

/** A line longer than this is refused (a peer that never sends `\n` must not grow memory forever). */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

export interface LineDecoderHandlers {
  onMessage(value: unknown): void;
  /** A line that is not JSON, or too long. The decoder keeps going with the next line. */
  onError(problem: string): void;
}

export class LineDecoder {
  readonly #handlers: LineDecoderHandlers;
  readonly #decoder = new TextDecoder();
  #buffer = '';
  #discarding = false;

  constructor(handlers: LineDecoderHandlers) {
    this.#handlers = handlers;
  }

  /** Feed bytes (or text) as they arrive, split anywhere, even inside a UTF-8 sequence. */
  push(chunk: Uint8Array | string): void {
    this.#buffer += typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    let nl = this.#buffer.indexOf('\n');
    while (nl !== -1) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      if (this.#discarding) {
        this.#discarding = false;
      } else if (line.trim() !== '') {
        this.#decodeLine(line);
      }
      nl = this.#buffer.indexOf('\n');
    }
    if (this.#buffer.length > MAX_LINE_BYTES) {
      this.#buffer = '';
      if (!this.#discarding) {
        this.#handlers.onError(`line longer than ${MAX_LINE_BYTES} bytes; dropped`);
      }
      this.#discarding = true;
    }
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
