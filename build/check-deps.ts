/**
 * Enforces engine/README.md's import table: pure rooms stay pure, and nothing under engine/ imports
 * electron. Run by `npm run lint`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const engine = join(root, 'engine');

/** Which engine rooms (or bare packages) each room may import. `*` = any engine room. */
const allowed: Record<string, { rooms: string[]; packages: RegExp }> = {
  result: { rooms: ['result'], packages: /^$/ },
  shell: { rooms: ['shell'], packages: /^$/ },
  model: { rooms: ['model', 'result', 'shell'], packages: /^$/ },
  corosync: { rooms: ['corosync', 'model', 'result', 'shell'], packages: /^$/ },
  preflight: { rooms: ['preflight', 'model', 'corosync', 'result', 'shell'], packages: /^$/ },
  ssh: { rooms: ['ssh', 'result', 'shell'], packages: /^(node:|ssh2$)/ },
  agent: { rooms: ['agent', 'corosync', 'model', 'result', 'shell'], packages: /^node:/ },
  store: { rooms: ['store', 'result', 'model', 'shell'], packages: /^(node:|@napi-rs\/keyring$)/ },
  monitor: { rooms: ['monitor', 'model', 'corosync', 'agent', 'result', 'shell'], packages: /^$/ },
  bootstrap: { rooms: ['bootstrap', 'agent', 'ssh', 'result', 'shell'], packages: /^node:/ },
  ha: { rooms: ['ha', 'ssh', 'corosync', 'model', 'result', 'shell'], packages: /^$/ },
  host: { rooms: ['host', 'api', 'result', 'shell'], packages: /^(node:|ws$)/ },
  alerts: { rooms: ['alerts', 'agent', 'store', 'result', 'shell'], packages: /^(node:|nodemailer$)/ },
  // Operations: the rooms below them, over the providers that say how each kind of cluster is changed;
  // `plan` (steps, plans, the cluster spec) is the room below both.
  plan: { rooms: ['plan', 'corosync', 'model', 'result', 'shell'], packages: /^$/ },
  providers: { rooms: ['providers', 'plan', 'corosync', 'model', 'result', 'shell'], packages: /^$/ },
  ops: {
    rooms: [
      'ops',
      'plan',
      'providers',
      'ha',
      'preflight',
      'bootstrap',
      'agent',
      'ssh',
      'store',
      'corosync',
      'model',
      'result',
      'shell',
    ],
    packages: /^node:/,
  },
  // The use-case layer: everything below the front doors, never a front door.
  api: {
    rooms: [
      'api',
      'ops',
      'plan',
      'providers',
      'ha',
      'alerts',
      'monitor',
      'preflight',
      'bootstrap',
      'agent',
      'ssh',
      'store',
      'corosync',
      'model',
      'result',
      'shell',
    ],
    packages: /^node:/,
  },
  // A front door: the use-case layer and the browser host; pure rooms for parsing and printing; the
  // store for where state and secrets live; `agent/` only for the alert text format it shares. Never
  // bootstrap or monitor: those are use cases'.
  cli: {
    rooms: ['cli', 'api', 'host', 'agent', 'store', 'ssh', 'corosync', 'model', 'result', 'shell'],
    packages: /^node:/,
  },
};

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      yield* files(path);
    } else if (/\.(ts|js|mjs|cjs)$/.test(name)) {
      yield path;
    }
  }
}

const problems: string[] = [];
const importRe = /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
for (const file of files(engine)) {
  const rel = relative(engine, file);
  const room = rel.includes(sep) ? rel.split(sep)[0]! : rel.replace(/\.ts$/, '');
  const source = readFileSync(file, 'utf8');
  for (const m of source.matchAll(importRe)) {
    const spec = (m[1] ?? m[2])!;
    if (spec === 'electron' || spec.startsWith('electron/')) {
      problems.push(`${rel}: imports ${spec}; the engine must not depend on Electron`);
      continue;
    }
    const rule = allowed[room];
    if (!rule) {
      // A new room says where it sits: a row here and in engine/README.md's table.
      problems.push(`${rel}: room ${room}/ has no row in build/check-deps.ts (and engine/README.md)`);
      break;
    }
    if (spec.startsWith('.')) {
      const target = relative(engine, resolve(dirname(file), spec));
      if (target.startsWith('..')) {
        problems.push(`${rel}: imports ${spec}, outside engine/`);
        continue;
      }
      const targetRoom = target.includes(sep) ? target.split(sep)[0]! : target.replace(/\.ts$/, '');
      if (!rule.rooms.includes(targetRoom)) {
        problems.push(`${rel}: room ${room}/ may not import ${targetRoom}/ (${spec})`);
      }
    } else if (!rule.packages.test(spec)) {
      problems.push(`${rel}: room ${room}/ may not import package ${spec}`);
    }
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`\n${problems.length} import rule violation(s); see engine/README.md`);
  process.exit(1);
}
console.log('check-deps: engine import rules hold');
