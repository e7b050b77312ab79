/**
 * A small reader for the well-formed XML Pacemaker's tools print (crm_mon --output-as=xml, cibadmin
 * --query): elements, attributes and entities; text, comments, CDATA and processing instructions are
 * skipped. Not a general XML parser — no DTDs, no namespaces — and it says where it stopped when the
 * input is not what those tools print.
 */
import type { Result } from '../result';
import { err, ok } from '../result';

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Replace the five XML entities and numeric character references. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) {
      return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    }
    if (e.startsWith('#')) {
      return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
    }
    return ENTITIES[e] ?? m;
  });
}

/** Escape text for an XML attribute value (double-quoted) or element content. */
export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const NAME = /[A-Za-z_][\w.:-]*/y;
const ATTR = /\s+([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;

/** Parse one document; returns its root element. */
export function parseXml(text: string): Result<XmlElement> {
  interface Open {
    name: string;
    attrs: Record<string, string>;
    children: XmlElement[];
  }
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const fail = (what: string) =>
    err(
      'ha.xml-parse',
      `could not read Pacemaker's XML at offset ${i}: ${what}`,
      'Is Pacemaker 2.x installed on this node?',
    );
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) {
      break;
    }
    i = lt;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i);
      if (end < 0) {
        return fail('unterminated comment');
      }
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i);
      if (end < 0) {
        return fail('unterminated CDATA');
      }
      i = end + 3;
      continue;
    }
    if (text.startsWith('<?', i) || text.startsWith('<!', i)) {
      const end = text.indexOf('>', i);
      if (end < 0) {
        return fail('unterminated declaration');
      }
      i = end + 1;
      continue;
    }
    if (text.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(text);
      const top = stack.pop();
      if (!m || !top || top.name !== m[0]) {
        return fail(`unexpected closing tag ${m?.[0] ?? '?'}`);
      }
      const end = text.indexOf('>', NAME.lastIndex);
      if (end < 0) {
        return fail('unterminated closing tag');
      }
      i = end + 1;
      const el: XmlElement = { name: top.name, attrs: top.attrs, children: top.children };
      const parent = stack[stack.length - 1];
      if (parent) {
        parent.children.push(el);
      } else {
        root = el;
      }
      continue;
    }
    NAME.lastIndex = i + 1;
    const m = NAME.exec(text);
    if (!m) {
      return fail('expected an element name');
    }
    i = NAME.lastIndex;
    const attrs: Record<string, string> = {};
    for (;;) {
      ATTR.lastIndex = i;
      const a = ATTR.exec(text);
      if (!a) {
        break;
      }
      attrs[a[1] as string] = decodeEntities(a[2] ?? a[3] ?? '');
      i = ATTR.lastIndex;
    }
    while (/\s/.test(text[i] ?? '')) {
      i++;
    }
    if (text.startsWith('/>', i)) {
      i += 2;
      const el: XmlElement = { name: m[0], attrs, children: [] };
      const parent = stack[stack.length - 1];
      if (parent) {
        parent.children.push(el);
      } else {
        root = el;
      }
    } else if (text[i] === '>') {
      i += 1;
      stack.push({ name: m[0], attrs, children: [] });
    } else {
      return fail(`bad attribute in <${m[0]}>`);
    }
  }
  if (stack.length > 0) {
    return fail(`<${stack[stack.length - 1]?.name}> is never closed`);
  }
  if (!root) {
    return fail('no element');
  }
  return ok(root);
}

/** Direct children named `name`. */
export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return (el?.children ?? []).filter((c) => c.name === name);
}

/** The first direct child named `name`. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}
