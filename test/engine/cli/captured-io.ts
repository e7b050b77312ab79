/** A CLI's terminal in a test: what a command wrote to stdout and stderr, and an empty stdin. */
import type { CliIo } from '../../../engine/cli/io';

export function io(): { out: { stdout: string; stderr: string }; io: CliIo } {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: (t: string) => void (out.stdout += t),
      stderr: (t: string) => void (out.stderr += t),
      readStdin: async () => '',
    },
  };
}

/** A terminal that keeps only stdout (what `--json` and the fixed text print); stderr is dropped. */
export function captureIo(): CliIo & { out: () => string } {
  let out = '';
  return {
    stdout: (t) => {
      out += t;
    },
    stderr: () => {},
    readStdin: async () => '',
    out: () => out,
  };
}
