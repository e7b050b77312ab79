/**
 * One loop over test/engine/corosync/tool-samples/<case>/: output.txt is real tool output (captured
 * in the lab by test/lab/capture-tool-samples.ts, or quoted from the Proxmox docs), command.txt's
 * first line names the command, expected.json is `{ ok: true, value }` or `{ ok: false, code }`
 * (each reviewed by hand against output.txt).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Result } from '../../../engine/result';
import { parseCfgtoolNodes, parseCfgtoolStatus } from '../../../engine/corosync/tool-cfgtool';
import { parsePvecmNodes, parsePvecmStatus } from '../../../engine/corosync/tool-pvecm';
import { parseQnetdList, parseQnetdStatus } from '../../../engine/corosync/tool-qnetd';
import { parseQuorumtoolList, parseQuorumtoolStatus } from '../../../engine/corosync/tool-quorumtool';

const DIR = fileURLToPath(new URL('./tool-samples/', import.meta.url));

/** Which parser reads a command's output. */
function parserFor(command: string): ((text: string) => Result<unknown>) | undefined {
  const [tool, ...args] = command.trim().split(/\s+/);
  const flags = args.join(' ');
  switch (tool) {
    case 'corosync-quorumtool':
      if (/(^|\s)-\w*s/.test(flags)) {
        return (t) => parseQuorumtoolStatus(t, command);
      }
      if (/(^|\s)-\w*l/.test(flags)) {
        return (t) => parseQuorumtoolList(t, command);
      }
      return undefined;
    case 'corosync-cfgtool':
      if (/(^|\s)-s\b/.test(flags)) {
        return (t) => parseCfgtoolStatus(t, command);
      }
      if (/(^|\s)-n\b/.test(flags)) {
        return (t) => parseCfgtoolNodes(t, command);
      }
      return undefined;
    case 'corosync-qnetd-tool':
      if (/(^|\s)-l\b/.test(flags)) {
        return (t) => parseQnetdList(t, command);
      }
      if (/(^|\s)-s\b/.test(flags)) {
        return (t) => parseQnetdStatus(t, command);
      }
      return undefined;
    case 'pvecm':
      if (args[0] === 'status') {
        return parsePvecmStatus;
      }
      if (args[0] === 'nodes') {
        return parsePvecmNodes;
      }
      return undefined;
    default:
      return undefined;
  }
}

const cases = readdirSync(DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('tool-output samples', () => {
  it('has samples', () => {
    expect(cases.length).toBeGreaterThan(20);
  });

  for (const name of cases) {
    it(`reads ${name} as expected`, () => {
      const command = (readFileSync(`${DIR}${name}/command.txt`, 'utf8').split('\n')[0] ?? '').trim();
      const parse = parserFor(command);
      expect(parse, `no parser for "${command}"`).toBeDefined();
      const output = readFileSync(`${DIR}${name}/output.txt`, 'utf8');
      // A new sample: QUORATE_NEW_SAMPLES=1 writes the parser's answer for a human to review.
      if (!existsSync(`${DIR}${name}/expected.json`) && process.env.QUORATE_NEW_SAMPLES === '1') {
        const r = (parse as (t: string) => Result<unknown>)(output);
        writeFileSync(
          `${DIR}${name}/expected.json`,
          `${JSON.stringify(r.ok ? r : { ok: false, code: r.error.code, message: r.error.message }, null, 2)}\n`,
        );
      }
      const expected = JSON.parse(readFileSync(`${DIR}${name}/expected.json`, 'utf8')) as {
        ok: boolean;
        value?: unknown;
        code?: string;
      };
      const result = (parse as (t: string) => Result<unknown>)(output);
      if (expected.ok) {
        expect(result.ok ? 'ok' : result.error.message).toBe('ok');
        expect(JSON.parse(JSON.stringify(result.ok ? result.value : null))).toEqual(expected.value);
      } else {
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.error.code).toBe(expected.code);
        }
      }
    });
  }
});
