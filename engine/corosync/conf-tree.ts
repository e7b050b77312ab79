/**
 * Small queries over the syntax tree, shared by the typed view, the edits and the validator.
 * corosync stores every `key: value` under its dotted path in cmap, so a key given twice in one
 * section (or in two sections of the same name) ends with the last value: `lastPair` follows that.
 */
import type { ConfDocument, ConfNode, ConfPair, ConfSection } from './conf-syntax';

export type Body = readonly ConfNode[];

export function sectionsNamed(body: Body, name: string): ConfSection[] {
  const found: ConfSection[] = [];
  for (const n of body) {
    if (n.kind === 'section' && n.name === name) {
      found.push(n);
    }
  }
  return found;
}

export function firstSection(body: Body, name: string): ConfSection | undefined {
  for (const n of body) {
    if (n.kind === 'section' && n.name === name) {
      return n;
    }
  }
  return undefined;
}

export function pairsOf(body: Body): ConfPair[] {
  const found: ConfPair[] = [];
  for (const n of body) {
    if (n.kind === 'pair') {
      found.push(n);
    }
  }
  return found;
}

export function lastPair(body: Body, key: string): ConfPair | undefined {
  for (let i = body.length - 1; i >= 0; i--) {
    const n = body[i]!;
    if (n.kind === 'pair' && n.key === key) {
      return n;
    }
  }
  return undefined;
}

export function valueOf(body: Body, key: string): string | undefined {
  return lastPair(body, key)?.value;
}

/** Top-level sections of one name, merged the way cmap merges them: all bodies in file order. */
export function mergedTopLevel(doc: ConfDocument, name: string): ConfNode[] | undefined {
  const all = sectionsNamed(doc.body, name);
  if (all.length === 0) {
    return undefined;
  }
  if (all.length === 1) {
    return all[0]!.body;
  }
  return all.flatMap((s) => s.body);
}

/** corosync's safe_atoq: strtoll base 10 over the whole value (sign allowed), then a range check. */
export function parseCorosyncInt(value: string, min: number, max: number): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)$/.exec(value);
  if (!m) {
    return undefined;
  }
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    return undefined;
  }
  return n;
}

export const UINT8 = 255;
export const UINT16 = 65535;
export const UINT32 = 4294967295;
