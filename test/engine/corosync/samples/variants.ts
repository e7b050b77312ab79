/** Meaning-preserving rewrites of corosync.conf files, for round-trip and `corosync -t` property tests. */
/** Deterministic PRNG (mulberry32), so a failure can be replayed. */
export function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rewrite a valid file without changing its meaning to corosync: indentation, spacing, endings, comments. */
export function variant(text: string, r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out = text.split('\n').map((line) => {
    const body = line.replace(/\r$/, '');
    const trimmed = body.trim();
    let l = body;
    if (trimmed !== '' && !trimmed.startsWith('#')) {
      const indent = pick(['', ' ', '\t', '    ', '\t\t', ' \t']);
      if (trimmed.includes('{')) {l = `${indent}${trimmed.replace(/\s*\{$/, '')}${pick([' {', '{', '   {', '\t{'])}`;}
      else if (trimmed === '}') {l = `${indent}}`;}
      else {
        const i = trimmed.indexOf(':');
        l = `${indent}${trimmed.slice(0, i).trim()}${pick([':', ' :', '  :', '\t:'])}${pick(['', ' ', '  ', '\t'])}${trimmed.slice(i + 1).trim()}`;
      }
      l += pick(['', '', ' ', '\t', '  ']);
    }
    const extra = r() < 0.15 ? `${pick(['', '  ', '\t'])}# ${pick(['note', 'key: value', '{', '}', ''])}${pick(['\n', '\r\n'])}` : '';
    return extra + l + pick(['\n', '\n', '\r\n']);
  }).join('');
  return r() < 0.3 ? out.replace(/\r?\n$/, '') : out;
}

