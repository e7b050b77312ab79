import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quote, raw, sh, ShellTemplateError } from '../../../engine/shell';

/** The argv a real /bin/sh builds from `command` (printed NUL-separated by printf). */
function argvOf(command: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `set -- ${command}; printf '%s\\0' "$@"`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('sh tagged template', () => {
  it('quotes every interpolation as one word', () => {
    const nasty = `a b'c"d$(x)\`y\`;|&\n*~`;
    expect(argvOf(sh`${nasty} ${'-rf'} ${''}`)).toEqual([nasty, '-rf', '']);
  });
  it('expands arrays to one quoted word per element, and an empty array to nothing', () => {
    expect(sh`pvecm create ${['n 1', '--link0', '198.18.0.1']}`).toBe("pvecm create 'n 1' --link0 198.18.0.1");
    expect(sh`x ${[]} y`).toBe('x  y');
  });
  it('prints numbers bare and refuses NaN and Infinity', () => {
    expect(sh`corosync-quorumtool -e ${3}`).toBe('corosync-quorumtool -e 3');
    expect(() => sh`x ${Number.NaN}`).toThrow(ShellTemplateError);
  });
  it('inserts raw() as it is', () => {
    expect(sh`if ${raw('test -f /x')}; then :; fi`).toBe('if test -f /x; then :; fi');
  });
  it('quotes a word that would be an assignment as the first word', () => {
    expect(quote('PATH=/tmp')).toBe("'PATH=/tmp'");
    expect(quote('--opt=1')).toBe('--opt=1');
  });
  it('refuses a NUL byte', () => {
    expect(() => quote('a\0b')).toThrow(ShellTemplateError);
  });
  it.each([
    ['double quotes', () => sh`echo "${'x'}"`],
    ['single quotes', () => sh`echo '${'x'}'`],
    ['a heredoc', () => sh`cat <<EOF\n${'x'}\nEOF`],
  ])('refuses an interpolation inside hand-placed %s', (_what, build) => {
    expect(build).toThrow(ShellTemplateError);
  });
  it('allows interpolations inside $( ) and backticks, also within double quotes', () => {
    expect(sh`echo "v=$(cat ${'a b'})"`).toBe(`echo "v=$(cat 'a b')"`);
    expect(sh`x=\`cat ${'a b'}\``).toBe("x=`cat 'a b'`");
  });
  it('ignores quotes in comments and refuses unbalanced templates', () => {
    expect(sh`# it's a comment\necho ${'a b'}`).toBe("# it's a comment\necho 'a b'");
    expect(() => sh`echo 'open ${'x'}`).toThrow(ShellTemplateError);
  });
});
