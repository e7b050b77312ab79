/**
 * corosync.conf as a lossless concrete syntax tree.
 *
 * The grammar is corosync's own line parser (exec/coroparse.c, `parse_section`), matched rule by rule:
 * - a line is read up to `\n`; one trailing `\r` and then trailing blanks (space, tab) are
 *   ignored; a line longer than 510 bytes is an error ("Line too long", 512-byte fgets buffer);
 * - a line that is empty or whose first non-blank character is `#` is ignored (no inline comments:
 *   `key: value # x` has the value `value # x`);
 * - a line containing `{` opens a section: the name is what precedes the first `{`, trimmed of blanks
 *   and of trailing `:`/`{`; anything after the `{` is an error;
 * - otherwise a line containing `:` is `key: value`, split at the first `:` (so values may hold `:`
 *   as IPv6 addresses do, and spaces); the key must not be empty; the value may be;
 * - otherwise a line containing `}` closes a section and must be exactly `}` (blanks aside);
 * - anything else is an error, as is a `}` at top level or a section left open at the end.
 *
 * Every line keeps its exact text and line ending, so `printConf(parseConf(t).value) === t`.
 */
import { err, ok, type QuorateError, type Result } from '../result';

/** One physical line: its text without the line ending, and the ending (`\n`, `\r\n`, or `` for a last line without one). */
export interface ConfLine {
  text: string;
  eol: string;
}

/** `key: value`. `valueStart`/`valueEnd` index the value inside `line.text`, so edits keep the spacing around it. */
export interface ConfPair {
  readonly kind: 'pair';
  key: string;
  value: string;
  line: ConfLine;
  valueStart: number;
  valueEnd: number;
}

/** `name {` … `}` with everything between, in order. */
export interface ConfSection {
  readonly kind: 'section';
  name: string;
  open: ConfLine;
  body: ConfNode[];
  close: ConfLine;
}

/** A blank line or a comment line. */
export interface ConfTrivia {
  readonly kind: 'trivia';
  line: ConfLine;
}

export type ConfNode = ConfPair | ConfSection | ConfTrivia;

/** A parsed corosync.conf. Edits return new documents; a document is never changed in place. */
export interface ConfDocument {
  readonly kind: 'document';
  body: ConfNode[];
}

/** A syntax error, positioned: 1-based line and column (in characters) of the offending text. */
export interface ConfSyntaxError extends QuorateError {
  readonly code: 'corosync.parse';
  readonly line: number;
  readonly column: number;
  /** corosync's own wording, e.g. "Missing closing brace". */
  readonly reason: string;
}

/** corosync's `ICMAP_KEYNAME_MAXLEN`: a full dotted key path must stay below it. */
const KEYNAME_MAXLEN = 256;
/** fgets(line, 512): 510 bytes of text plus `\n` and the terminating NUL. */
const MAX_LINE_BYTES = 510;

/**
 * coroparse.c also skips the byte 0xA0 (Latin-1 no-break space). In a UTF-8 file U+00A0 is the two
 * bytes C2 A0, of which corosync strips only the A0 and keeps a stray C2 (verified: a trailing
 * U+00A0 after ring0_addr makes `corosync -t` fail with "failed to parse node address"). Text here
 * is decoded UTF-8, so U+00A0 is an ordinary character and `validateConf` flags it.
 */
const isBlank = (c: string): boolean => c === ' ' || c === '\t';

function trimEndBlanks(s: string): string {
  let end = s.length;
  while (end > 0 && isBlank(s[end - 1]!)) {
    end--;
  }
  return end === s.length ? s : s.slice(0, end);
}

function firstNonBlank(s: string, from = 0): number {
  let i = from;
  while (i < s.length && isBlank(s[i]!)) {
    i++;
  }
  return i;
}

/** UTF-8 byte length without `Buffer` (this room imports no `node:*`). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      n += 1;
    } else if (c < 0x800) {
      n += 2;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else {
      n += 3;
    }
  }
  return n;
}

/** coroparse's remove_whitespace(s, 1): trim blanks, then trailing blanks, `:` and `{` (never the first character). */
function sectionOrKeyName(s: string): string {
  const start = firstNonBlank(s);
  if (start === s.length) {
    return '';
  }
  let end = s.length - 1;
  while (end > start && (isBlank(s[end]!) || s[end] === ':' || s[end] === '{')) {
    end--;
  }
  return s.slice(start, end + 1);
}

function syntaxError(
  line: number,
  column: number,
  reason: string,
  hint: string,
): { ok: false; error: ConfSyntaxError } {
  const base = err('corosync.parse', `corosync.conf line ${line}, column ${column}: ${reason}`, hint).error;
  return { ok: false, error: { ...base, code: 'corosync.parse', line, column, reason } };
}

/** Split into lines, keeping each ending. A final line without `\n` gets eol ``; an empty tail is no line. */
export function splitLines(text: string): ConfLine[] {
  const lines: ConfLine[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) {
      lines.push({ text: text.slice(start), eol: '' });
      break;
    }
    const cr = nl > start && text.charCodeAt(nl - 1) === 13;
    lines.push({ text: text.slice(start, cr ? nl - 1 : nl), eol: cr ? '\r\n' : '\n' });
    start = nl + 1;
  }
  return lines;
}

interface Frame {
  section: ConfSection | undefined;
  body: ConfNode[];
  path: string;
  line: number;
  /** Width of the open line's indentation. */
  indent: number;
  /** First child line indented no deeper than this section's own `{` line: a hint that this section lacks its `}`. */
  suspect?: { line: number; name: string };
}

function indentWidth(text: string): number {
  let w = 0;
  for (const c of text) {
    if (c === ' ') {
      w++;
    } else if (c === '\t') {
      w += 8 - (w % 8);
    } else {
      break;
    }
  }
  return w;
}

/**
 * Parse corosync.conf text into a lossless tree. Fails with `corosync.parse` at the first line
 * corosync itself would reject, with its line and column.
 */
export function parseConf(text: string): Result<ConfDocument, ConfSyntaxError> {
  const doc: ConfDocument = { kind: 'document', body: [] };
  const stack: Frame[] = [{ section: undefined, body: doc.body, path: '', line: 0, indent: -1 }];
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = i + 1;
    const frame = stack[stack.length - 1]!;
    const t = line.text;
    if (t.length > MAX_LINE_BYTES / 4 && utf8Length(t) + (line.eol === '\r\n' ? 1 : 0) > MAX_LINE_BYTES) {
      return syntaxError(
        lineNo,
        MAX_LINE_BYTES + 1,
        'Line too long',
        `corosync reads at most ${MAX_LINE_BYTES} bytes per line; shorten the line.`,
      );
    }
    const first = firstNonBlank(t);
    if (first === t.length || t[first] === '#') {
      frame.body.push({ kind: 'trivia', line });
      continue;
    }
    const content = trimEndBlanks(t);
    const brace = content.indexOf('{');
    if (brace !== -1) {
      const name = sectionOrKeyName(content.slice(0, brace));
      const after = firstNonBlank(content, brace + 1);
      if (name === '') {
        return syntaxError(
          lineNo,
          brace + 1,
          "Missing section name before opening bracket '{'",
          'Write the section name before "{", e.g. "totem {".',
        );
      }
      if (after < content.length) {
        return syntaxError(
          lineNo,
          after + 1,
          "Extra characters after opening bracket '{'",
          'Put nothing after "{" on its line; start the section content on the next line.',
        );
      }
      const path = frame.path === '' ? name : `${frame.path}.${name}`;
      if (path.length + 1 >= KEYNAME_MAXLEN) {
        return syntaxError(
          lineNo,
          first + 1,
          'Start of section makes total cmap path too long',
          'Use shorter section names or less nesting.',
        );
      }
      const section: ConfSection = { kind: 'section', name, open: line, body: [], close: { text: '}', eol: '' } };
      frame.body.push(section);
      const indent = indentWidth(t);
      if (frame.section && frame.suspect === undefined && indent <= frame.indent) {
        frame.suspect = { line: lineNo, name };
      }
      stack.push({ section, body: section.body, path, line: lineNo, indent });
      continue;
    }
    const colon = content.indexOf(':');
    if (colon !== -1) {
      const key = sectionOrKeyName(content.slice(0, colon));
      if (key === '') {
        return syntaxError(lineNo, colon + 1, "Key name can't be empty", 'Write the key before ":", e.g. "nodeid: 1".');
      }
      if (frame.path.length + key.length + 1 >= KEYNAME_MAXLEN) {
        return syntaxError(lineNo, first + 1, 'New key makes total cmap path too long', 'Use a shorter key name.');
      }
      const valueStart = firstNonBlank(content, colon + 1);
      frame.body.push({
        kind: 'pair',
        key,
        value: content.slice(valueStart),
        line,
        valueStart,
        valueEnd: content.length,
      });
      continue;
    }
    if (content.includes('}')) {
      if (content.slice(first) !== '}') {
        return syntaxError(
          lineNo,
          first + 1,
          "Extra characters before or after closing bracket '}'",
          'Put "}" alone on its line.',
        );
      }
      if (frame.section === undefined) {
        return syntaxError(
          lineNo,
          first + 1,
          'Unexpected closing brace',
          'Remove this "}" or add the section it closes.',
        );
      }
      frame.section.close = line;
      stack.pop();
      continue;
    }
    return syntaxError(
      lineNo,
      first + 1,
      'Line is not opening or closing section or key value',
      'Write "key: value", "name {", "}" or a "#" comment.',
    );
  }
  if (stack.length > 1) {
    // corosync reports the last line. Point at the section that most likely lacks its "}": the
    // outermost open one that has a sub-section starting at its own indentation, else the innermost.
    const open = stack.slice(1).find((f) => f.suspect !== undefined) ?? stack[stack.length - 1]!;
    const name = open.section!.name;
    const openText = open.section!.open.text;
    const why = open.suspect
      ? ` (the "${open.suspect.name}" section at line ${open.suspect.line} starts at the same indentation)`
      : '';
    return syntaxError(
      open.line,
      firstNonBlank(openText) + 1,
      `Missing closing brace: section "${name}" is never closed${why}`,
      `Add a "}" line to close "${name}".`,
    );
  }
  return ok(doc);
}

function printNodes(nodes: readonly ConfNode[], out: string[]): void {
  for (const node of nodes) {
    if (node.kind === 'section') {
      out.push(node.open.text, node.open.eol);
      printNodes(node.body, out);
      out.push(node.close.text, node.close.eol);
    } else {
      out.push(node.line.text, node.line.eol);
    }
  }
}

/** Print a document back to text. For a parsed, unedited document this is the input, byte for byte. */
export function printConf(doc: ConfDocument): string {
  const out: string[] = [];
  printNodes(doc.body, out);
  return out.join('');
}

/** Visit every node with its 1-based line number, depth-first in file order. */
export function walkConf(
  doc: ConfDocument,
  visit: (node: ConfNode, line: number, path: readonly ConfSection[]) => void,
): void {
  let line = 1;
  const path: ConfSection[] = [];
  const walk = (nodes: readonly ConfNode[]): void => {
    for (const node of nodes) {
      visit(node, line, path);
      line++;
      if (node.kind === 'section') {
        path.push(node);
        walk(node.body);
        path.pop();
        line++;
      }
    }
  };
  walk(doc.body);
}
