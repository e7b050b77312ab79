import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  classifySudoFailure,
  killMarkedCommand,
  markCommand,
  shellQuote,
  sudoInstallCommand,
  sudoWrap,
  uploadTempPath,
} from '../../../engine/ssh';

/** What a real POSIX shell makes of a quoted word: the round trip the quoting must survive. */
function throughSh(quoted: string): string {
  return execFileSync('sh', ['-c', `printf '%s' ${quoted}`], { encoding: 'utf8' });
}

describe('shellQuote', () => {
  const cases: [string, string][] = [
    ['plain', 'plain'],
    ['/etc/corosync/corosync.conf', '/etc/corosync/corosync.conf'],
    ['', "''"],
    ['two words', "'two words'"],
    ["it's", "'it'\\''s'"],
    ['$(reboot)', "'$(reboot)'"],
    ['a;b', "'a;b'"],
    ['`x`', "'`x`'"],
    ['*', "'*'"],
    ['new\nline', "'new\nline'"],
    ['back\\slash', "'back\\slash'"],
  ];
  it.each(cases)('quotes %j as %s', (input, expected) => {
    expect(shellQuote(input)).toBe(expected);
  });
  it.each(cases)('survives a real sh unchanged: %j', (input) => {
    expect(throughSh(shellQuote(input))).toBe(input);
  });
});

describe('sudoWrap', () => {
  const cases: [string, Parameters<typeof sudoWrap>[1], string][] = [
    ['id -u', 'root', 'id -u'],
    ['id -u', 'nopasswd', "sudo -n -- sh -c 'id -u'"],
    ['id -u', 'password', "sudo -k -S -p '' -- sh -c 'id -u'"],
    ["echo 'x' > /f", 'password', "sudo -k -S -p '' -- sh -c 'echo '\\''x'\\'' > /f'"],
  ];
  it.each(cases)('wraps %j for mode %s', (command, mode, expected) => {
    expect(sudoWrap(command, mode)).toBe(expected);
  });
  it('never puts a password on the command line', () => {
    for (const mode of ['nopasswd', 'password'] as const) {
      expect(sudoWrap('true', mode)).not.toMatch(/-p\s+'[^']/);
    }
  });
});

describe('classifySudoFailure', () => {
  const cases: [string, ReturnType<typeof classifySudoFailure>][] = [
    ['sudo: a password is required\n', 'password-required'],
    [
      'sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\n',
      'password-required',
    ],
    ['admin is not in the sudoers file.\n', 'not-allowed'],
    ['admin is not in the sudoers file.  This incident will be reported.\n', 'not-allowed'],
    ['Sorry, user admin is not allowed to run sudo on node1.\n', 'not-allowed'],
    ['Sorry, try again.\nsudo: 1 incorrect password attempt\n', 'wrong-password'],
    ['sudo: 3 incorrect password attempts\n', 'wrong-password'],
    ['ls: cannot access /nope: No such file or directory\n', null],
    ['', null],
  ];
  it.each(cases)('reads %j as %s', (stderr, expected) => {
    expect(classifySudoFailure(stderr)).toBe(expected);
  });
});

describe('upload paths', () => {
  it('writes the temp file beside the target so the rename stays on one filesystem', () => {
    expect(uploadTempPath('/usr/local/lib/quorate/agent.js', 'ab12')).toBe(
      '/usr/local/lib/quorate/.agent.js.quorate-ab12.tmp',
    );
    expect(uploadTempPath('relative.txt', 'ab12')).toBe('.relative.txt.quorate-ab12.tmp');
  });
  it('installs as root with the mode, renames atomically and always removes the staging file', () => {
    const cmd = sudoInstallCommand('.quorate-upload-1', '/etc/corosync/corosync.conf', 0o640, 'n1');
    expect(cmd).toBe(
      'cat -- .quorate-upload-1 > /etc/corosync/.corosync.conf.quorate-n1.tmp && chmod 0640 -- /etc/corosync/.corosync.conf.quorate-n1.tmp' +
        ' && mv -f -- /etc/corosync/.corosync.conf.quorate-n1.tmp /etc/corosync/corosync.conf; rc=$?; rm -f -- .quorate-upload-1 /etc/corosync/.corosync.conf.quorate-n1.tmp; exit $rc',
    );
  });
});

describe('marked commands', () => {
  it('runs the command under sh with the marker as $0', () => {
    expect(markCommand('echo "$0"', 'quorate-run-ab')).toBe(`sh -c 'echo "$0"' quorate-run-ab`);
    expect(execFileSync('sh', ['-c', markCommand('echo "$0"', 'quorate-run-ab')], { encoding: 'utf8' })).toBe(
      'quorate-run-ab\n',
    );
  });

  it('kills everything the marked command started, and nothing else (itself included)', async () => {
    const marker = `quorate-run-test${process.pid}`;
    const { spawn } = await import('node:child_process');
    // setsid, as sshd does for every exec; `sleep` is a grandchild that does not write.
    const child = spawn('setsid', ['sh', '-c', markCommand('sleep 37 & sleep 38; wait', marker)], { stdio: 'ignore' });
    const bystander = spawn('sleep', ['39'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const pids = (): string =>
        execFileSync('sh', ['-c', 'ps -eo args | grep "^sleep 3[78]" || true'], { encoding: 'utf8' }).trim();
      expect(pids()).toBe('sleep 37\nsleep 38');
      execFileSync('sh', ['-c', killMarkedCommand(marker)]);
      await new Promise((r) => setTimeout(r, 200));
      expect(pids()).toBe('');
      expect(bystander.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
      bystander.kill('SIGKILL');
    }
  });
});
