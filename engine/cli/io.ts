import type { QuorateError } from '../result';
import { cliHintOf } from '../result';

/** What a CLI command may touch: injected so commands run in-process in tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads all of stdin (for --password-stdin). */
  readStdin(): Promise<string>;
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) {
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** A usage error: printed with the command's help line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An error as the terminal shows it: the terminal's hint (`cliHint`) in place of the window's. */
export function cliError(error: QuorateError): { code: string; message: string; hint: string; cause?: string } {
  const hint = cliHintOf(error);
  return error.cause === undefined
    ? { code: error.code, message: error.message, hint }
    : { code: error.code, message: error.message, hint, cause: error.cause };
}

/** `error: …` and `hint: …` on stderr. */
export function printError(io: CliIo, error: QuorateError, prefix = 'error'): void {
  io.stderr(`${prefix}: ${error.message}\nhint: ${cliHintOf(error)}\n`);
}

/** A refusal in either form: `{ok:false,error}` on stdout with `--json`, else the message and hint on stderr; exit 1. */
export function failWith(io: CliIo, json: boolean, r: { readonly ok: false; readonly error: QuorateError }): number {
  if (json) {
    io.stdout(`${JSON.stringify({ ok: false, error: cliError(r.error) })}\n`);
  } else {
    printError(io, r.error);
  }
  return 1;
}
