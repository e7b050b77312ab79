/**
 * The one way Quorate builds a POSIX shell command: the `sh` tagged template quotes every
 * interpolation, so a name, an address or a path is always one word of data, whatever characters it
 * holds. Pure, imports nothing; every room may use it.
 *
 *     sh`rm -f -- ${path}`                    → rm -f -- '/tmp/a b'
 *     sh`pvecm create ${name} ${['--link0', addr]}`  (arrays expand to quoted words)
 *     sh`if ${raw(isUp)}; then …`             (raw: a reviewed constant fragment or a command sh built)
 *
 * The template itself is checked when it is first used: an interpolation inside quotes the template
 * placed by hand (`"${x}"`, `'${x}'`), inside a heredoc, or a template with unbalanced quotes, throws
 * at build time — each of those would change what the quoting means.
 */

/** Text the caller vouches for: inserted as it is. Only for constant fragments and commands `sh` built. */
export class RawShell {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Marks `text` as trusted shell (see `RawShell`). Every use is a place to review. */
export function raw(text: string): RawShell {
  return new RawShell(text);
}

export type ShellWord = string | number | RawShell;
export type ShellValue = ShellWord | readonly ShellWord[];

/** A mistake in a template or a value no command should carry: a bug in the caller. */
export class ShellTemplateError extends Error {
  constructor(message: string) {
    super(`Quorate bug: sh template: ${message}`);
    this.name = 'ShellTemplateError';
  }
}

/** Characters a POSIX shell never treats specially anywhere in a word. */
const SAFE_WORD = /^[A-Za-z0-9_\-.,:/@%+=]+$/;
/** `NAME=…` as the first word would be an assignment, not a command: always quote it. */
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Quotes one argument for a POSIX shell (sh, dash, bash): bare when it is safe, single quotes
 * otherwise, with embedded `'` spelled `'\''`. The empty string becomes `''`. A NUL cannot be passed
 * in an argv at all: it throws.
 */
export function quote(word: string): string {
  if (word.includes('\0')) {
    throw new ShellTemplateError('a NUL byte cannot be part of a shell word');
  }
  if (word === '') {
    return "''";
  }
  if (SAFE_WORD.test(word) && !ASSIGNMENT.test(word)) {
    return word;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quotes and joins an argv for a POSIX shell. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quote).join(' ');
}

function word(value: ShellWord): string {
  if (value instanceof RawShell) {
    return value.text;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new ShellTemplateError(`a number must be finite, got ${value}`);
    }
    return String(value);
  }
  if (typeof value !== 'string') {
    throw new ShellTemplateError(`expected a string, number, array or raw(), got ${typeof value}`);
  }
  return quote(value);
}

type Context = 'plain' | 'single' | 'double' | 'paren' | 'backtick';

/**
 * Walks the template's literal parts as a shell would and returns, for each interpolation, whether it
 * stands where an unquoted word can (plain text, `$( … )`, backticks). Good enough for the scripts
 * Quorate writes: quotes, backslashes, `$(`, backticks, comments and heredocs.
 */
function checkTemplate(parts: readonly string[]): void {
  const stack: Context[] = ['plain'];
  let heredoc = false;
  const top = (): Context => stack[stack.length - 1]!;
  for (let p = 0; p < parts.length; p++) {
    const s = parts[p]!;
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      const ctx = top();
      if (ctx === 'single') {
        if (c === "'") {
          stack.pop();
        }
        continue;
      }
      if (c === '\\') {
        i++;
        continue;
      }
      if (ctx === 'double') {
        if (c === '"') {
          stack.pop();
        } else if (c === '$' && s[i + 1] === '(') {
          stack.push('paren');
          i++;
        } else if (c === '`') {
          stack.push('backtick');
        }
        continue;
      }
      // plain, paren, backtick: unquoted contexts.
      if (c === "'") {
        stack.push('single');
      } else if (c === '"') {
        stack.push('double');
      } else if (c === '$' && s[i + 1] === '(') {
        stack.push('paren');
        i++;
      } else if (c === '`') {
        if (ctx === 'backtick') {
          stack.pop();
        } else {
          stack.push('backtick');
        }
      } else if (c === ')' && ctx === 'paren') {
        stack.pop();
      } else if (c === '(' && ctx === 'paren') {
        stack.push('paren');
      } else if (c === '<' && s[i + 1] === '<') {
        heredoc = true;
        i++;
      } else if (c === '#' && (i === 0 ? p === 0 : /[\s;&|(]/.test(s[i - 1]!))) {
        const nl = s.indexOf('\n', i);
        i = nl < 0 ? s.length : nl - 1;
      }
    }
    if (p < parts.length - 1) {
      const ctx = top();
      if (ctx === 'single' || ctx === 'double') {
        throw new ShellTemplateError(
          `interpolation ${p + 1} stands inside hand-placed ${ctx} quotes (…${JSON.stringify(s.slice(-30))}); ` +
            'drop the quotes: sh quotes every value itself',
        );
      }
      if (heredoc) {
        throw new ShellTemplateError(
          `interpolation ${p + 1} follows a heredoc (<<), where quoting does not apply; write the file with printf '%s' ${'${text}'} instead`,
        );
      }
    }
  }
  if (top() !== 'plain') {
    throw new ShellTemplateError(`unbalanced ${top()} at the end of the template`);
  }
}

const checked = new WeakSet<TemplateStringsArray>();

/**
 * The tagged template: every `${value}` becomes quoted shell words (strings and numbers one word each,
 * arrays one word per element, `raw()` as it is). Returns the command as a string.
 */
export function sh(strings: TemplateStringsArray, ...values: readonly ShellValue[]): string {
  if (!checked.has(strings)) {
    checkTemplate(strings);
    checked.add(strings);
  }
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out += Array.isArray(v) ? (v as readonly ShellWord[]).map(word).join(' ') : word(v as ShellWord);
    out += strings[i + 1]!;
  }
  return out;
}
