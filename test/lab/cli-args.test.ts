import { describe, expect, it } from 'vitest';
import { chooseLab, parseLabArgs } from './cli-args';

describe('npm run lab -- arguments', () => {
  it.each([
    { argv: ['--lab', '2', 'exec', '1', 'hostname'], want: { command: 'exec', lab: 2, args: ['1', 'hostname'] } },
    { argv: ['--lab=3', 'cut', 'node2'], want: { command: 'cut', lab: 3, args: ['node2'] } },
    { argv: ['cut', 'node2', '--lab', '4'], want: { command: 'cut', lab: 4, args: ['node2'] } },
    { argv: ['exec', '--lab', '2', '1', 'ls'], want: { command: 'exec', lab: 2, args: ['1', 'ls'] } },
    // The command after the host is the user's, its own --lab included.
    {
      argv: ['exec', '1', 'grep', '--lab', 'x', '/etc/hosts'],
      want: { command: 'exec', args: ['1', 'grep', '--lab', 'x', '/etc/hosts'] },
    },
    { argv: ['status', '--json'], want: { command: 'status', args: ['--json'] } },
  ])('$argv', ({ argv, want }) => {
    expect(parseLabArgs(argv)).toEqual(want);
  });

  it('refuses a --lab without a number', () => {
    expect(() => parseLabArgs(['--lab', 'exec', '1', 'ls'])).toThrow(/--lab needs a lab id/);
    expect(() => parseLabArgs(['cut', '1', '--lab'])).toThrow(/got nothing/);
  });

  it('never guesses between several labs', () => {
    expect(chooseLab(undefined, [1, 2])).toEqual({
      ok: false,
      message: 'several labs are up (1, 2): say which with --lab ID',
    });
    expect(chooseLab(undefined, [2])).toEqual({ ok: true, id: 2 });
    expect(chooseLab(2, [1, 2])).toEqual({ ok: true, id: 2 });
    expect(chooseLab(5, [1, 2])).toMatchObject({ ok: false, message: 'no lab 5 is up (up: 1, 2)' });
    expect(chooseLab(undefined, [])).toMatchObject({ ok: false });
  });
});
