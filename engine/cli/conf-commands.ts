/**
 * `quorate conf print|check|show|edit`. Shapes are fixed (scripts depend on them): see README "CLI".
 */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import {
  addNode,
  checkConfText,
  parseConf,
  printConf,
  readConf,
  removeNode,
  removeQdevice,
  setQdevice,
  type ConfDocument,
} from '../corosync';
import { isLinkNumber, type LinkNumber, type QdeviceAlgorithm } from '../model/cluster';
import type { Result } from '../result';
import { writeFileAtomic } from '../store';
import type { CliIo } from './io';
import { UsageError } from './io';

export async function runConfCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'print':
      return print(rest, io);
    case 'check':
      return check(rest, io);
    case 'show':
      return show(rest, io);
    case 'edit':
      return edit(rest, io);
    default:
      throw new UsageError(`conf: expected print, check, show or edit, got "${sub ?? ''}"`);
  }
}

function oneFile(positionals: string[], what: string): string {
  if (positionals.length !== 1) {
    throw new UsageError(`conf ${what}: expected exactly one FILE`);
  }
  return positionals[0]!;
}

/** Reads and parses; on a syntax error prints `FILE:LINE:COL: message` and returns undefined. */
async function load(file: string, io: CliIo): Promise<ConfDocument | undefined> {
  const parsed = parseConf(await readFile(file, 'utf8'));
  if (parsed.ok) {
    return parsed.value;
  }
  const e = parsed.error;
  io.stderr(`${file}:${e.line}:${e.column}: ${e.reason}\nhint: ${e.hint}\n`);
  return undefined;
}

async function print(argv: string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const doc = await load(oneFile(positionals, 'print'), io);
  if (!doc) {
    return 1;
  }
  io.stdout(printConf(doc));
  return 0;
}

async function check(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const file = oneFile(positionals, 'check');
  const problems = checkConfText(await readFile(file, 'utf8'));
  // Errors are what corosync / votequorum / corosync-qdevice refuse (exit 1); warnings are accepted
  // by them (exit 0) and go to stderr marked "warning:", so stdout lists only what must be fixed.
  const errors = problems.filter((p) => p.severity === 'error');
  const warnings = problems.filter((p) => p.severity === 'warning');
  if (values.json) {
    io.stdout(
      `${JSON.stringify({ file, valid: errors.length === 0, errors: errors.length, warnings: warnings.length, problems })}\n`,
    );
  } else {
    for (const p of errors) {
      io.stdout(`${file}:${p.line}:${p.column}: ${p.message}\n`);
      io.stderr(`  hint (${p.line}:${p.column}): ${p.hint}\n`);
    }
    for (const p of warnings) {
      io.stderr(`${file}:${p.line}:${p.column}: warning: ${p.message}\n  hint (${p.line}:${p.column}): ${p.hint}\n`);
    }
    if (problems.length > 0) {
      io.stderr(
        `${file}: ${errors.length} error(s), ${warnings.length} warning(s)${errors.length === 0 ? ' — corosync accepts this file' : ''}\n`,
      );
    }
  }
  return errors.length === 0 ? 0 : 1;
}

async function show(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const doc = await load(oneFile(positionals, 'show'), io);
  if (!doc) {
    return 1;
  }
  const conf = readConf(doc);
  if (values.json) {
    io.stdout(`${JSON.stringify(conf, bigintAsNumber, 2)}\n`);
    return 0;
  }
  io.stdout(
    `cluster ${conf.totem.clusterName ?? '(unnamed)'}, config_version ${conf.totem.configVersion ?? '(none)'}\n`,
  );
  for (const n of conf.nodes) {
    const links = Object.entries(n.links)
      .map(([l, a]) => `link${l} ${a}`)
      .join(', ');
    io.stdout(`  ${n.name ?? '(no name)'} nodeid ${n.nodeid ?? '?'} votes ${n.quorumVotes ?? 1}: ${links}\n`);
  }
  return 0;
}

async function edit(argv: string[], io: CliIo): Promise<number> {
  const linkOptions = Object.fromEntries(
    [0, 1, 2, 3, 4, 5, 6, 7].map((l) => [`link${l}`, { type: 'string' as const }]),
  );
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'add-node': { type: 'string' },
      id: { type: 'string' },
      votes: { type: 'string' },
      'remove-node': { type: 'string' },
      'qdevice-host': { type: 'string' },
      algorithm: { type: 'string' },
      'qdevice-votes': { type: 'string' },
      'no-qdevice': { type: 'boolean', default: false },
      output: { type: 'string', short: 'o' },
      ...linkOptions,
    },
  });
  const file = oneFile(positionals, 'edit');
  const actions = [
    values['add-node'] !== undefined,
    values['remove-node'] !== undefined,
    values['qdevice-host'] !== undefined,
    values['no-qdevice'],
  ];
  if (actions.filter(Boolean).length !== 1) {
    throw new UsageError('conf edit: give exactly one of --add-node, --remove-node, --qdevice-host, --no-qdevice');
  }
  const doc = await load(file, io);
  if (!doc) {
    return 1;
  }

  let result: Result<ConfDocument>;
  const notes: string[] = [];
  if (values['add-node'] !== undefined) {
    const links: Partial<Record<LinkNumber, string>> = {};
    for (const [key, value] of Object.entries(values)) {
      const m = /^link(\d)$/.exec(key);
      if (m && typeof value === 'string') {
        const l = Number(m[1]);
        if (isLinkNumber(l)) {
          links[l] = value;
        }
      }
    }
    if (links[0] === undefined) {
      throw new UsageError('conf edit --add-node: --link0 ADDR is required');
    }
    result = addNode(doc, {
      name: values['add-node'],
      nodeid: integerOption(values.id, '--id', 1),
      votes: values.votes === undefined ? undefined : integerOption(values.votes, '--votes', 0),
      links,
    });
  } else if (values['remove-node'] !== undefined) {
    result = removeNode(doc, values['remove-node']);
  } else if (values['qdevice-host'] !== undefined) {
    const algorithm = (values.algorithm ?? 'ffsplit') as QdeviceAlgorithm;
    if (algorithm !== 'ffsplit' && algorithm !== 'lms') {
      throw new UsageError('--algorithm must be ffsplit or lms');
    }
    const edited = setQdevice(doc, {
      host: values['qdevice-host'],
      algorithm,
      votes:
        values['qdevice-votes'] === undefined
          ? undefined
          : integerOption(values['qdevice-votes'], '--qdevice-votes', 1),
    });
    if (edited.ok) {
      for (const key of edited.value.removed) {
        notes.push(`removed ${key}: corosync refuses it beside a QDevice`);
      }
      result = { ok: true, value: edited.value.doc };
    } else {
      result = edited;
    }
  } else {
    result = removeQdevice(doc);
  }
  if (!result.ok) {
    io.stderr(`${file}: ${result.error.message}\nhint: ${result.error.hint}\n`);
    return 1;
  }
  for (const note of notes) {
    io.stderr(`note: ${note}\n`);
  }
  const text = printConf(result.value);
  if (values.output === undefined || values.output === '-') {
    io.stdout(text);
  } else {
    // A reader (or corosync) never sees half a file: engine/store's temp + fsync + rename.
    const written = await writeFileAtomic(values.output, text, 0o644);
    if (!written.ok) {
      io.stderr(`${values.output}: ${written.error.message}\nhint: ${written.error.hint}\n`);
      return 1;
    }
  }
  return 0;
}

function integerOption(value: string | undefined, name: string, min: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min) {
    throw new UsageError(`${name}: expected an integer ≥ ${min}, got "${value ?? ''}"`);
  }
  return n;
}

/** `config_version` is a uint64 in corosync: JSON gets a number while it is exact, else a string. */
function bigintAsNumber(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') {
    return value;
  }
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}
