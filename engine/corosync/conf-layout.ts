/**
 * Low-level, style-preserving changes to a (cloned) syntax tree: new lines copy the file's line
 * ending, its indentation unit and the `key: value` spacing of their neighbours. Only conf-edit.ts
 * uses these, always on a copy, so a caller's document never changes.
 */
import type { ConfDocument, ConfLine, ConfNode, ConfPair, ConfSection } from './conf-syntax';

export interface Style {
  readonly eol: string;
  /** One level of indentation: `\t`, `  `, `    `… */
  readonly unit: string;
}

export function cloneDoc(doc: ConfDocument): ConfDocument {
  return structuredClone(doc);
}

function leading(text: string): string {
  const m = /^[ \t]*/.exec(text);
  return m ? m[0] : '';
}

function lineOf(node: ConfNode): ConfLine {
  return node.kind === 'section' ? node.open : node.line;
}

/** The dominant line ending (CRLF only when most lines use it) and the first indentation step found. */
export function detectStyle(doc: ConfDocument): Style {
  let crlf = 0;
  let lf = 0;
  let unit: string | undefined;
  const visit = (nodes: readonly ConfNode[], parentIndent: string | undefined): void => {
    for (const n of nodes) {
      const l = lineOf(n);
      if (l.eol === '\r\n') {
        crlf++;
      } else if (l.eol === '\n') {
        lf++;
      }
      if (n.kind === 'section') {
        if (n.close.eol === '\r\n') {
          crlf++;
        } else if (n.close.eol === '\n') {
          lf++;
        }
        visit(n.body, leading(n.open.text));
      }
      if (unit === undefined && parentIndent !== undefined && n.kind !== 'trivia') {
        const own = leading(l.text);
        if (own.length > parentIndent.length && own.startsWith(parentIndent)) {
          unit = own.slice(parentIndent.length);
        }
      }
    }
  };
  visit(doc.body, undefined);
  return { eol: crlf > lf ? '\r\n' : '\n', unit: unit ?? '\t' };
}

/** Indentation for a new child of `section`: that of its existing children, else the section's own plus one unit. */
export function childIndent(section: ConfSection, style: Style): string {
  for (const n of section.body) {
    if (n.kind !== 'trivia') {
      return leading(lineOf(n).text);
    }
  }
  return leading(section.open.text) + style.unit;
}

/** The text between key and value in an existing pair (`: `, `:`, ` : `…), to copy into new pairs. */
export function separatorOf(pair: ConfPair): string {
  const indent = leading(pair.line.text);
  const afterKey = indent.length + pair.key.length;
  return pair.line.text.slice(afterKey, pair.valueStart);
}

export function makePair(indent: string, key: string, value: string, eol: string, separator = ': '): ConfPair {
  const text = `${indent}${key}${separator}${value}`;
  const valueStart = indent.length + key.length + separator.length;
  return { kind: 'pair', key, value, line: { text, eol }, valueStart, valueEnd: valueStart + value.length };
}

export function makeSection(indent: string, name: string, eol: string, body: ConfNode[]): ConfSection {
  return { kind: 'section', name, open: { text: `${indent}${name} {`, eol }, body, close: { text: `${indent}}`, eol } };
}

export function setPairValue(pair: ConfPair, value: string): void {
  const t = pair.line.text;
  pair.line.text = t.slice(0, pair.valueStart) + value + t.slice(pair.valueEnd);
  pair.value = value;
  pair.valueEnd = pair.valueStart + value.length;
}

/** Where a new child goes: right after the last key or section, so trailing comments stay last. */
export function insertionIndex(body: readonly ConfNode[]): number {
  for (let i = body.length - 1; i >= 0; i--) {
    if (body[i]!.kind !== 'trivia') {
      return i + 1;
    }
  }
  return body.length;
}

/** Remove `node` from the tree; false when it is not there. */
export function removeNode(body: ConfNode[], node: ConfNode): boolean {
  const i = body.indexOf(node);
  if (i === -1) {
    return false;
  }
  body.splice(i, 1);
  return true;
}

/** The separator used by pairs in `body` (first one found), or `: `. */
export function separatorIn(body: readonly ConfNode[]): string {
  for (const n of body) {
    if (n.kind === 'pair') {
      return separatorOf(n);
    }
  }
  for (const n of body) {
    if (n.kind === 'section') {
      const s = separatorIn(n.body);
      if (s !== ': ') {
        return s;
      }
    }
  }
  return ': ';
}

/** Whether the siblings named `name` in `body` are separated by blank lines (then new ones are too). */
export function blankBetween(body: readonly ConfNode[], name: string): boolean {
  let seen = false;
  let blank = false;
  for (const n of body) {
    if (n.kind === 'section' && n.name === name) {
      if (seen && blank) {
        return true;
      }
      seen = true;
      blank = false;
    } else if (n.kind === 'trivia' && n.line.text.trim() === '') {
      blank = true;
    } else if (n.kind !== 'trivia') {
      seen = false;
    }
  }
  return false;
}

export function blankLine(eol: string): ConfNode {
  return { kind: 'trivia', line: { text: '', eol } };
}

/**
 * Append nodes at the end of the document. When the file had no final newline, the old last line
 * gets one and the new last line goes without, so the file keeps its "no final newline" shape.
 */
export function appendTopLevel(doc: ConfDocument, nodes: ConfNode[], style: Style): void {
  const last = lastLine(doc.body);
  const noFinalNewline = last !== undefined && last.eol === '';
  if (noFinalNewline) {
    last.eol = style.eol;
  }
  if (last !== undefined && last.text.trim() !== '') {
    doc.body.push(blankLine(style.eol));
  }
  doc.body.push(...nodes);
  if (noFinalNewline) {
    const newLast = lastLine(doc.body);
    if (newLast) {
      newLast.eol = '';
    }
  }
}

function lastLine(body: readonly ConfNode[]): ConfLine | undefined {
  const n = body[body.length - 1];
  if (!n) {
    return undefined;
  }
  return n.kind === 'section' ? n.close : n.line;
}
