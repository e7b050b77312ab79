/**
 * Writes expected.json / problems.json for every sample from the current engine, for review:
 * `npx tsx test/engine/corosync/samples/regenerate.ts [case…]`. Read the diff before keeping it —
 * these files are the corpus tests' expectations, not a snapshot to wave through.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkConfText, parseConf, readConf, toVotequorumConfig } from '../../../../engine/corosync';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);

/** JSON with bigint written as a string (config_version is a uint64). */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}

for (const name of readdirSync(here, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
  if (only.length > 0 && !only.includes(name)) {continue;}
  const text = readFileSync(join(here, name, 'input.conf'), 'utf8');
  const parsed = parseConf(text);
  const expected = join(here, name, 'expected.json');
  if (parsed.ok) {
    const config = readConf(parsed.value);
    writeFileSync(expected, toJson({ config, votequorum: toVotequorumConfig(config) }));
  } else if (existsSync(expected)) {
    rmSync(expected);
  }
  const problems = checkConfText(text).map(({ line, column, severity, code, message }) => ({ line, column, severity, code, message }));
  writeFileSync(join(here, name, 'problems.json'), toJson(problems));
  console.log(`${name}: ${parsed.ok ? 'parsed' : 'syntax error'}, ${problems.length} problem(s)`);
}
