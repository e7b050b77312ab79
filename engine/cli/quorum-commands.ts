/**
 * `quorate quorum FILE …` and `quorate quorum table …`: the votequorum arithmetic, from a terminal.
 * Shapes are fixed (scripts depend on them): see README "CLI".
 */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { parseConf, readConf, toVotequorumConfig, validateConf } from '../corosync';
import { checkPartitionInput, evaluatePartitions, failureTable } from '../model';
import type { CliIo } from './io';
import { UsageError } from './io';

export async function runQuorumCommand(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] === 'table') {
    return runTable(argv.slice(1), io);
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      up: { type: 'string' },
      partition: { type: 'string' },
      'qdevice-reachable-from': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    throw new UsageError('quorum: expected exactly one FILE');
  }
  const text = await readFile(file, 'utf8');
  const parsed = parseConf(text);
  if (!parsed.ok) {
    io.stderr(`${file}: ${parsed.error.message}\nhint: ${parsed.error.hint}\n`);
    return 1;
  }
  const errors = validateConf(parsed.value).filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    for (const p of errors) {
      io.stderr(`${file}:${p.line}:${p.column}: ${p.message}\n`);
    }
    io.stderr(`hint: fix the file first (quorate conf check ${file})\n`);
    return 1;
  }
  const cfg = toVotequorumConfig(readConf(parsed.value));
  const known = new Set(cfg.nodes.map((n) => n.name));
  const names = (list: string, what: string): string[] => {
    const out = list
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const n of out) {
      if (!known.has(n)) {
        throw new UsageError(`${what}: no node named "${n}" in ${file} (nodes: ${[...known].join(', ')})`);
      }
    }
    return out;
  };
  const up = values.up !== undefined ? names(values.up, '--up') : undefined;
  const groups =
    values.partition !== undefined ? values.partition.split('/').map((g) => names(g, '--partition')) : undefined;
  let qdeviceReachable: boolean[] | undefined;
  if (values['qdevice-reachable-from'] !== undefined) {
    const count = groups?.length ?? 1;
    const reach = values['qdevice-reachable-from']
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(Number);
    for (const g of reach) {
      if (!Number.isInteger(g) || g < 1 || g > count) {
        throw new UsageError(`--qdevice-reachable-from: group numbers are 1..${count}, got "${g}"`);
      }
    }
    qdeviceReachable = Array.from({ length: count }, (_, i) => reach.includes(i + 1));
  }
  const input = { up, groups, qdeviceReachable };
  const checked = checkPartitionInput(cfg, input);
  if (!checked.ok) {
    io.stderr(`quorum: ${checked.error.message}\nhint: ${checked.error.hint}\n`);
    return 2;
  }
  const partitions = evaluatePartitions(cfg, input);
  if (values.json) {
    io.stdout(`${JSON.stringify({ partitions })}\n`);
  } else {
    for (const p of partitions) {
      io.stdout(
        `${p.quorate ? 'QUORATE  ' : 'INQUORATE'} ${p.nodes.join(',') || '(none)'}: ${p.votes}/${p.expectedVotes} votes, quorum ${p.quorum} — ${p.reason}\n`,
      );
    }
  }
  return 0;
}

async function runTable(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string' },
      qdevice: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 64) {
    throw new UsageError('quorum table: --nodes must be an integer 1..64');
  }
  const table = failureTable(nodes, { qdevice: values.qdevice });
  if (values.json) {
    io.stdout(`${JSON.stringify(table)}\n`);
  } else {
    io.stdout(`${nodes} nodes${values.qdevice ? ' + QDevice' : ''}: can lose ${table.canLose}\n`);
    for (const r of table.rows) {
      io.stdout(`  ${String(r.failed).padStart(2)} failed → ${r.quorate ? 'quorate' : 'NOT quorate'}\n`);
    }
  }
  return 0;
}
