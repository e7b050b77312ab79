#!/usr/bin/env node
// The CLI runs the engine's TypeScript directly through tsx, so `npx quorate` needs no build step of
// its own; what it serves or installs (the renderer, the agent bundle) is built on first use when
// `npm ci`'s postinstall did not (e.g. `npm ci --ignore-scripts`). Pure commands skip the check.
import { register } from 'tsx/esm/api';
import { ensureBuilt } from '../build/ensure-built.js';

const argv = process.argv.slice(2);
const PURE = new Set([undefined, '--help', '-h', 'help', '--version', 'conf', 'quorum']);
if (!PURE.has(argv[0]) && !argv.includes('--help')) {
  const built = ensureBuilt({ parts: argv[0] === 'ui' ? ['renderer'] : ['renderer', 'agent'] });
  if (!built.ok) {
    process.stderr.write(`quorate: could not build: ${built.message}\n`);
  }
}
register();
const { main } = await import('../engine/cli/main.ts');
process.exitCode = await main(argv);
