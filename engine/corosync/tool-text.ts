/**
 * Shared pieces of the corosync tool-output parsers: line splitting, "Title\n-----" sections,
 * `Key: value` lines, and the one error shape they all fail with (`corosync.tool-output`).
 */
import { err, type QuorateError, type Result } from '../result';

export interface ToolLine {
  /** 1-based line number in the whole output. */
  readonly n: number;
  readonly text: string;
}

export interface ToolSection {
  /** The title line (`Quorum information`); '' for lines before the first title. */
  readonly title: string;
  readonly lines: readonly ToolLine[];
}

/**
 * What Quorate reads from a machine's tool: far above any real corosync output (a 64-node
 * `corosync-quorumtool -s` is a few KiB). Beyond it, or beyond the line cap, the output is refused
 * unparsed, so a hostile or broken machine cannot make a parse slow or large.
 */
export const MAX_TOOL_OUTPUT = 1024 * 1024;
export const MAX_TOOL_LINE = 4096;

/** Thrown inside a parser, turned into a Result at its edge (`parseWith`). */
class ToolOutputFailure extends Error {
  constructor(
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export function fail(line: ToolLine | number | undefined, reason: string): never {
  throw new ToolOutputFailure(typeof line === 'object' ? line.n : line, reason);
}

/**
 * Run a parser that signals malformed input with `fail`, returning a Result: code
 * `corosync.tool-output`, a message naming the command and line, a hint about what to check.
 */
export function parseWith<T>(command: string, text: string, parse: (lines: ToolLine[]) => T): Result<T> {
  try {
    if (text.length > MAX_TOOL_OUTPUT) {
      fail(
        undefined,
        `the output is ${text.length} characters, more than the ${MAX_TOOL_OUTPUT} Quorate reads from a machine; it was not parsed`,
      );
    }
    if (text.trim() === '') {
      fail(undefined, 'the output is empty');
    }
    return { ok: true, value: parse(splitToolLines(text)) };
  } catch (e) {
    if (!(e instanceof ToolOutputFailure)) {
      throw e;
    }
    const where = e.line === undefined ? '' : `, line ${e.line}`;
    const r = err(
      'corosync.tool-output',
      `could not read the output of \`${command}\`${where}: ${e.reason}`,
      `Check that \`${command}\` ran on a node with corosync 3 running (its error goes to stderr, not stdout) and that the output was not cut off.`,
    );
    return r as { ok: false; error: QuorateError };
  }
}

/**
 * Lines with trailing white space (and CR) removed. `trimEnd`, not `/\s+$/`: that regex retries
 * from every position of a long blank run and is quadratic (40 KB of blanks: seconds per parse).
 * A line over MAX_TOOL_LINE fails.
 */
export function splitToolLines(text: string): ToolLine[] {
  return text.split('\n').map((t, i) => {
    if (t.length > MAX_TOOL_LINE) {
      fail(i + 1, `the line is ${t.length} characters long, more than the ${MAX_TOOL_LINE} a corosync tool prints`);
    }
    return { n: i + 1, text: t.trimEnd() };
  });
}

const UNDERLINE = /^[-~]{3,}$/;

/** Split at titles underlined with `---` (corosync) or `~~~` (the Proxmox docs' rendering). Blank lines dropped. */
export function sections(lines: readonly ToolLine[]): ToolSection[] {
  const out: { title: string; lines: ToolLine[] }[] = [{ title: '', lines: [] }];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as ToolLine;
    const next = lines[i + 1];
    if (line.text.trim() !== '' && next !== undefined && UNDERLINE.test(next.text.trim())) {
      out.push({ title: line.text.trim(), lines: [] });
      i++;
      continue;
    }
    if (line.text.trim() !== '') {
      (out[out.length - 1] as { lines: ToolLine[] }).lines.push(line);
    }
  }
  return out;
}

export function findSection(all: readonly ToolSection[], title: string): ToolSection | undefined {
  return all.find((s) => s.title.toLowerCase() === title.toLowerCase());
}

/** `Key:   value` lines of a section, by key; a line that is not `Key: value` fails. */
export function keyValues(section: ToolSection): Map<string, { value: string; line: ToolLine }> {
  const map = new Map<string, { value: string; line: ToolLine }>();
  for (const line of section.lines) {
    const m = /^\s*([A-Za-z][A-Za-z0-9 /-]*?):\s*(.*)$/.exec(line.text);
    if (!m) {
      fail(line, `expected "Key: value" in "${section.title}", got "${line.text.trim()}"`);
    }
    map.set((m[1] as string).trim(), { value: (m[2] as string).trim(), line });
  }
  return map;
}

export function required(
  map: Map<string, { value: string; line: ToolLine }>,
  key: string,
  section: string,
  at?: ToolLine,
): { value: string; line: ToolLine } {
  const v = map.get(key);
  if (!v) {
    fail(at, `"${key}:" is missing from "${section}"`);
  }
  return v;
}

/** A non-negative integer, decimal or 0x-hex (corosync-quorumtool -H). */
export function parseCount(text: string, what: string, line: ToolLine | undefined): number {
  const t = text.trim();
  let n: number;
  if (/^0x[0-9a-fA-F]+$/.test(t)) {
    n = Number.parseInt(t.slice(2), 16);
  } else if (/^\d+$/.test(t)) {
    n = Number(t);
  } else {
    fail(line, `${what} should be a number, got "${t}"`);
  }
  if (!Number.isSafeInteger(n)) {
    fail(line, `${what} is out of range: "${t}"`);
  }
  return n;
}
