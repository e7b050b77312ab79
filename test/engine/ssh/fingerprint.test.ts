import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprintOfPublicKeyLine, isSha256Fingerprint, normaliseFingerprint } from '../../../engine/ssh';

const dir = mkdtempSync(join(tmpdir(), 'quorate-fp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fingerprints', () => {
  it.each(['ed25519', 'ecdsa', 'rsa'])('match ssh-keygen -lf for a fresh %s key', (type) => {
    const file = join(dir, `key_${type}`);
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
    const expected = execFileSync('ssh-keygen', ['-lf', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1];
    const ours = fingerprintOfPublicKeyLine(readFileSync(`${file}.pub`, 'utf8'));
    expect(ours?.fingerprint).toBe(expected);
    expect(isSha256Fingerprint(ours?.fingerprint ?? '')).toBe(true);
  });

  it('rejects lines that are not public keys', () => {
    expect(fingerprintOfPublicKeyLine('hello')).toBeNull();
    expect(fingerprintOfPublicKeyLine('ssh-rsa bm90IGEga2V5')).toBeNull();
  });

  it.each([
    ['SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s', true],
    ['SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s=', false],
    ['MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48', false],
    ['uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s', false],
  ])('accepts only the OpenSSH SHA256 spelling: %s → %s', (text, expected) => {
    expect(isSha256Fingerprint(text)).toBe(expected);
  });

  it('normalises what people paste without changing the key', () => {
    expect(normaliseFingerprint('  sha256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s= ')).toBe(
      'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
    );
  });
});
