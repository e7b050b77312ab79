/**
 * `quorate whatif`, `quorate maintenance` and `quorate rolling`: parse flags → the maintenance service's handler → text or `--json`. The JSON
 * shape of `whatif` is fixed (issue 12 §1): scripts depend on it. Exit 0 when answered (whether
 * the rest stays quorate is in the output), 2 on usage errors and unknown names, 1 otherwise.
 */
import { parseArgs } from 'node:util';
import type { QuorateError } from '../result';
import type { RollingUpdate } from '../api/contract';
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
// maintenance.would-lose-quorum and maintenance.confirm-needed are refusals: exit 1.

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

/** `quorate maintenance enable|disable NAME --node NODE [--plan] [--confirm NAME] [--json]`. */
export async function runMaintenanceCommand(
  argv: string[],
  io: CliIo,
  deps: MaintenanceCommandDeps = {},
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      node: { type: 'string' },
      plan: { type: 'boolean', default: false },
      confirm: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [action, name, ...extra] = positionals;
  if ((action !== 'enable' && action !== 'disable') || !name || extra.length > 0) {
    throw new UsageError('maintenance: expected enable|disable NAME --node NODE');
  }
  if (!values.node) {
    throw new UsageError('maintenance: --node NODE names the node (as in the nodelist)');
  }
  const params = {
    cluster: name,
    node: values.node,
    enable: action === 'enable',
    ...(values.plan ? { plan: true } : {}),
    ...(values.confirm !== undefined ? { confirm: values.confirm } : {}),
  };
  const r = deps.service
    ? await deps.service.setMaintenance(params)
    : await withService({}, (service) => service.handlers.setMaintenance(params));
  if (!r.ok) {
    return fail(io, values.json, r.error);
  }
  const v = r.value;
  if (values.json) {
    io.stdout(`${JSON.stringify(v)}\n`);
    return 0;
  }
  io.stdout(
    `${v.planned ? 'Plan: ' : ''}${v.node} ${v.inMaintenance ? 'in maintenance' : 'out of maintenance'} (${v.engine})\n`,
  );
  if (v.whatIf) {
    io.stdout(`without it: ${v.whatIf.reason}\n`);
  }
  for (const s of v.steps) {
    io.stdout(`  - ${s}\n`);
  }
  for (const m of v.moved) {
    io.stdout(`  moved: ${m}\n`);
  }
  for (const s of v.stuck) {
    io.stdout(`  could not move ${s.id}: ${s.why}\n`);
  }
  if (v.planned && v.needsConfirm) {
    io.stdout(`It could then lose no further node: running it needs --confirm ${name}.\n`);
  }
  return 0;
}

/** `quorate rolling NAME --run CMD [--restart-services|--reboot] [--plan] [--json]`. */
export async function runRollingCommand(argv: string[], io: CliIo, deps: MaintenanceCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      'restart-services': { type: 'boolean', default: false },
      reboot: { type: 'boolean', default: false },
      plan: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) {
    throw new UsageError('rolling: expected exactly one cluster NAME');
  }
  if (!values.run) {
    throw new UsageError('rolling: --run CMD is the command to run on each node (use --run true to only restart)');
  }
  if (values['restart-services'] && values.reboot) {
    throw new UsageError('rolling: --restart-services and --reboot exclude each other');
  }
  const params = {
    cluster: name,
    run: values.run,
    restart: values.reboot
      ? ('reboot' as const)
      : values['restart-services']
        ? ('services' as const)
        : ('none' as const),
    ...(values.plan ? { plan: true } : {}),
  };
  // Live progress on stderr (stdout carries only the result).
  const onUpdate = (u: RollingUpdate): void =>
    io.stderr(u.line ? `            ${u.node}: ${u.line}\n` : `${u.state.padEnd(11)} ${u.node}: ${u.stepId}\n`);
  const r = deps.service
    ? await deps.service.rolling(params)
    : await withService({}, (service) => {
        const off = service.events.subscribe((event, payload) => {
          if (event === 'onDidUpdateRolling') {
            onUpdate(payload as RollingUpdate);
          }
        });
        return service.handlers.rolling(params).finally(off);
      });
  if (!r.ok) {
    return fail(io, values.json, r.error);
  }
  const v = r.value;
  if (values.json) {
    io.stdout(`${JSON.stringify(v)}\n`);
  } else {
    for (const g of v.gates) {
      io.stdout(`without ${g.node}: ${g.quorate ? 'quorate' : 'NOT quorate'} — ${g.reason}\n`);
    }
    for (const s of v.steps) {
      io.stdout(`${s.state.padEnd(8)} ${s.node.padEnd(12)} ${s.title}\n`);
    }
    io.stdout(`${v.state}${v.resumed ? ' (resumed)' : ''}\n`);
  }
  if (v.state === 'failed' && v.error) {
    printError(io, v.error);
    return 1;
  }
  return 0;
}
