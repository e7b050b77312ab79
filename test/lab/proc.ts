/**
 * Process helpers for the lab: run a command in the root namespaces, and identify processes by
 * PID *and* start time so a recycled PID is never signalled.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcRef {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot): survives exec, differs for a recycled PID. */
  readonly start: string;
}

/** Start time of `pid` from /proc/PID/stat, or undefined when the process is gone. */
export function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: fields are counted after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); starttime is field 22.
    const state = rest[0];
    if (state === 'Z' || state === 'X') {
      return undefined;
    }
    return rest[19];
  } catch {
    return undefined;
  }
}

export function procRef(pid: number): ProcRef | undefined {
  const start = procStart(pid);
  return start === undefined ? undefined : { pid, start };
}

export function isAlive(ref: ProcRef): boolean {
  return procStart(ref.pid) === ref.start;
}

/** Signal `ref` only when the PID still names the same process. Returns whether it was signalled. */
export function signalVerified(ref: ProcRef, signal: NodeJS.Signals): boolean {
  if (!isAlive(ref)) {
    return false;
  }
  try {
    process.kill(ref.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Children of `pid` (all its threads' children). */
export function childrenOf(pid: number): number[] {
  try {
    const out: number[] = [];
    for (const line of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)) {
      if (line) {
        out.push(Number(line));
      }
    }
    return out;
  } catch {
    return [];
  }
}

export async function waitGone(refs: readonly ProcRef[], timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (refs.every((r) => !isAlive(r))) {
      return true;
    }
    if (Date.now() > until) {
      return false;
    }
    await sleep(25);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when gone (or after the SIGKILL grace). */
export async function killVerified(ref: ProcRef, graceMs = 3000): Promise<void> {
  if (!signalVerified(ref, 'SIGTERM')) {
    return;
  }
  if (await waitGone([ref], graceMs)) {
    return;
  }
  signalVerified(ref, 'SIGKILL');
  await waitGone([ref], 2000);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface RootRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** Run argv in the root namespaces; never throws for a non-zero exit. */
export function runRoot(argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RootRun> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (file === undefined) {
      throw new Error('runRoot: empty argv');
    }
    const child = execFile(
      file,
      args,
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : null
          : 0;
        resolve({
          stdout: String(stdout),
          stderr: String(stderr) + (error && code === null ? String(error.message) : ''),
          code,
        });
      },
    );
    if (opts.input !== undefined) {
      child.stdin?.end(opts.input);
    } else {
      child.stdin?.end();
    }
  });
}

/** Like runRoot, but throws with the command and its stderr on a non-zero exit. */
export async function mustRoot(
  argv: readonly string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<string> {
  const r = await runRoot(argv, opts);
  if (r.code !== 0) {
    throw new Error(`lab: \`${argv.join(' ')}\` failed (exit ${r.code}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}
