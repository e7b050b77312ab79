/**
 * A state file Quorate cannot read (bad JSON, wrong shape). Thrown by the readers of one file and
 * caught at the front doors (the CLI prints message + hint, the RPC layer returns it as an error
 * value), so a damaged file names itself and says how to repair it instead of printing a stack
 * trace — and never stops the other files from loading.
 */
export class DamagedFileError extends Error {
  readonly code = 'store.damaged-file';
  constructor(
    readonly path: string,
    reason: string,
    readonly hint: string,
  ) {
    super(`${path} is damaged: ${reason}`);
    this.name = 'DamagedFileError';
  }
}

export function isDamagedFileError(e: unknown): e is DamagedFileError {
  return (
    e instanceof DamagedFileError ||
    (typeof e === 'object' &&
      e !== null &&
      (e as { code?: unknown }).code === 'store.damaged-file' &&
      typeof (e as { hint?: unknown }).hint === 'string')
  );
}

/** JSON.parse with the file named in the failure. */
export function parseJsonFile(path: string, text: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DamagedFileError(path, `not valid JSON (${(e as Error).message})`, hint);
  }
}
