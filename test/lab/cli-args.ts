/**
 * Argument parsing for `npm run lab -- …` (test/lab/cli.ts). Pure. `--lab ID` may come before the
 * command (`--lab 2 exec 1 hostname`) or among its own arguments; for `exec`, everything after the
 * host is the command, passed verbatim (its own `--lab` included).
 */

export interface LabArgs {
  readonly command: string | undefined;
  /** `--lab ID`, when given. */
  readonly lab?: number;
  /** The command's own arguments, options taken out (for `exec`: the host, then the command). */
  readonly args: readonly string[];
}

/** Parses `argv`; throws with a plain message on a bad `--lab`. */
export function parseLabArgs(argv: readonly string[]): LabArgs {
  const rest = [...argv];
  let lab: number | undefined;
  const takeLab = (i: number): void => {
    const a = rest[i]!;
    const value = a.startsWith('--lab=') ? a.slice('--lab='.length) : rest[i + 1];
    if (value === undefined || !/^\d+$/.test(value)) {
      throw new Error(`--lab needs a lab id (a number, see npm run lab -- status), got ${value ?? 'nothing'}`);
    }
    lab = Number(value);
    rest.splice(i, a.startsWith('--lab=') ? 1 : 2);
  };
  const isLab = (a: string | undefined): boolean => a === '--lab' || (a?.startsWith('--lab=') ?? false);
  while (isLab(rest[0])) {
    takeLab(0);
  }
  const command = rest.shift();
  if (command === 'exec') {
    // Options only before the host: the command after it is the user's, verbatim.
    while (isLab(rest[0])) {
      takeLab(0);
    }
  } else {
    for (let i = rest.findIndex(isLab); i >= 0; i = rest.findIndex(isLab)) {
      takeLab(i);
    }
  }
  return { command, ...(lab !== undefined ? { lab } : {}), args: rest };
}

/**
 * Which lab a command acts on: the one asked for; the only one up; with several and none asked
 * for, none — the caller says which exist, rather than guessing the newest.
 */
export function chooseLab(
  asked: number | undefined,
  up: readonly number[],
): { ok: true; id: number } | { ok: false; message: string } {
  if (asked !== undefined) {
    return up.includes(asked)
      ? { ok: true, id: asked }
      : { ok: false, message: `no lab ${asked} is up (up: ${up.length > 0 ? up.join(', ') : 'none'})` };
  }
  if (up.length === 1) {
    return { ok: true, id: up[0]! };
  }
  return up.length === 0
    ? { ok: false, message: 'no lab is up (npm run lab -- up 3)' }
    : { ok: false, message: `several labs are up (${up.join(', ')}): say which with --lab ID` };
}
