/**
 * The corpus: every `samples/<case>/input.conf` (man page and Proxmox-doc examples, Debian's file,
 * hand-written oddities) must print back byte for byte, read as `expected.json` says, and produce
 * exactly the problems in `problems.json`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkConfText, parseConf, printConf, readConf, toVotequorumConfig } from '../../../engine/corosync';

const samples = join(dirname(fileURLToPath(import.meta.url)), 'samples');
const cases = readdirSync(samples, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const json = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)));

describe('corosync.conf corpus', () => {
  it('has the cases the issue asks for', () => {
    for (const needed of [
      'debian-default',
      'man-votequorum-example-01',
      'man-corosync-conf-nodelist-before',
      'man-qdevice-example',
      'seed-004-example-4',
      'sixty-four-nodes',
      'pve-three-nodes-crlf',
      'tabs-two-node-two-links',
    ]) {
      expect(cases).toContain(needed);
    }
  });

  for (const name of cases) {
    describe(name, () => {
      const text = readFileSync(join(samples, name, 'input.conf'), 'utf8');
      const parsed = parseConf(text);
      const expectedFile = join(samples, name, 'expected.json');

      if (existsSync(expectedFile)) {
        it('prints back byte for byte', () => {
          expect(parsed.ok).toBe(true);
          if (parsed.ok) {
            expect(printConf(parsed.value)).toBe(text);
          }
        });
        it('reads as expected.json says', () => {
          if (!parsed.ok) {
            throw new Error(parsed.error.message);
          }
          const config = readConf(parsed.value);
          expect(json({ config, votequorum: toVotequorumConfig(config) })).toEqual(
            JSON.parse(readFileSync(expectedFile, 'utf8')),
          );
        });
      } else {
        it('is refused as corosync refuses it', () => {
          expect(parsed.ok).toBe(false);
        });
      }

      it('has exactly the problems in problems.json', () => {
        const want = JSON.parse(readFileSync(join(samples, name, 'problems.json'), 'utf8')) as unknown[];
        const got = checkConfText(text).map(({ line, column, severity, code, message }) => ({
          line,
          column,
          severity,
          code,
          message,
        }));
        expect(got).toEqual(want);
      });
    });
  }
});
