/**
 * `npm run bench`: runs every `test/bench/*.bench.ts` (each default-exports an async function that
 * returns figures) and prints one table. Targets are printed beside the figures, never asserted.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Human text, e.g. "< 5 ms". */
  readonly target?: string;
  /** Why a figure could not be measured here (then value is NaN). */
  readonly skipped?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = false;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<BenchFigure[]> };
  try {
    for (const f of await mod.default()) {
      const value = f.skipped ? `skipped: ${f.skipped}` : `${f.value.toFixed(f.value < 10 ? 2 : 1)} ${f.unit}`;
      console.log(
        `${file.replace('.bench.ts', '').padEnd(12)} ${f.name.padEnd(48)} ${value.padEnd(16)} ${f.target ? `target ${f.target}` : ''}`,
      );
    }
  } catch (e) {
    failed = true;
    console.error(`${file}: ${(e as Error).stack ?? e}`);
  }
}
// Benches share this process; a library one of them used (esbuild's service, started by the
// renderer build) may keep the event loop alive after every figure is printed.
process.exit(failed ? 1 : 0);
