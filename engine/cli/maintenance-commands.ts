/**
 * `quorate whatif`: parse flags → the maintenance service's handler → text or `--json`. The JSON
 * shape of `whatif` is fixed (issue 12 §1): scripts depend on it. Exit 0 when answered (whether
 * the rest stays quorate is in the output), 2 on usage errors and unknown names, 1 otherwise.
 */
import { parseArgs } from 'node:util';
import type { QuorateError } from '../result';
import type { MaintenanceService } from '../api/service-maintenance';
import type { CliIo } from './io';
import { cliError, printError, UsageError } from './io';
import { withService } from './service';

export interface MaintenanceCommandDeps {
  /** Defaults to the service over SSH through the machines in the state folder. */
  readonly service?: MaintenanceService;
}

/** Errors that mean "you typed a name that is not there": exit 2, like a usage error. */
const NAME_ERRORS = new Set(['whatif.unknown-node', 'whatif.no-qdevice', 'ops.unknown-cluster']);

function fail(io: CliIo, json: boolean, error: QuorateError): number {
  if (json) {
    io.stdout(`${JSON.stringify({ ok: false, error: cliError(error) })}\n`);
  }
  printError(io, error);
  return NAME_ERRORS.has(error.code) ? 2 : 1;
}

/** `quorate whatif NAME --down NODE[,NODE…][,qdevice] [--json]`. */
export async function runWhatifCommand(argv: string[], io: CliIo, deps: MaintenanceCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { down: { type: 'string', multiple: true }, json: { type: 'boolean', default: false } },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) {
    throw new UsageError('whatif: expected exactly one cluster NAME');
  }
  const items = (values.down ?? []).flatMap((d) => d.split(',')).map((d) => d.trim());
  if (items.length === 0 || items.some((d) => d === '')) {
    throw new UsageError('whatif: --down NODE[,NODE…][,qdevice] names what goes away');
  }
  const qdevice = items.includes('qdevice');
  const down = [...new Set(items.filter((d) => d !== 'qdevice'))];
  const params = { cluster: name, down, ...(qdevice ? { qdevice } : {}) };
  // The same handler the window calls, on the service the CLI builds for this command.
  const r = deps.service
    ? await deps.service.whatIf(params)
    : await withService({}, (service) => service.handlers.whatIf(params));
  if (!r.ok) {
    return fail(io, values.json, r.error);
  }
  const { now, after, reason } = r.value;
  if (values.json) {
    io.stdout(`${JSON.stringify({ now, after, reason })}\n`);
    return 0;
  }
  const line = (label: string, f: typeof now): string =>
    `${label} ${f.quorate ? 'quorate' : 'NOT quorate'}: ${f.votes} of ${f.expectedVotes} votes, quorum ${f.quorum}, can lose ${f.canLose} more\n`;
  io.stdout(`${line('now:  ', now)}${line('after:', after)}${reason}\n(read from ${r.value.readFrom})\n`);
  return 0;
}
