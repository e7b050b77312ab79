/**
 * `quorate guests NAME [--json]` and `quorate migrate NAME (--vm VMID|--ct CTID) --to NODE
 * [--online] [--with-local-disks] [--plan] [--json]`: thin clients of engine/api/service-pve.ts.
 * Fixed JSON (issue 14): `{"guests":[{"id","kind","name","node","status","ha"}]}`; migrate prints its
 * outcome (status planned|refused|migrated|failed, every check with pass/warn/fail). Exit 0 when
 * planned or migrated, 1 when refused or failed, 2 on usage errors.
 */
import { parseArgs } from 'node:util';
import type { PveMigrateProgress, QuorateApi } from '../api/contract';
import type { EventHub } from '../api/event-hub';
import type { CliIo } from './io';
import { failWith, UsageError } from './io';
import type { CliServiceOptions } from './service';
import { withService } from './service';

export type PveHandlers = Pick<QuorateApi, 'pveGuests' | 'pveMigrate'>;

export interface PveCommandDeps extends CliServiceOptions {
  readonly handlers?: PveHandlers;
  /** With `handlers` (tests): where their events come from; the service's own hub otherwise. */
  readonly events?: Pick<EventHub, 'subscribe'>;
}

async function handlers<T>(
  deps: PveCommandDeps,
  fn: (h: PveHandlers, events: Pick<EventHub, 'subscribe'> | null) => Promise<T>,
): Promise<T> {
  return deps.handlers ? fn(deps.handlers, deps.events ?? null) : withService(deps, (s) => fn(s.handlers, s.events));
}

export async function runGuestsCommand(argv: string[], io: CliIo, deps: PveCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const cluster = positionals[0];
  if (!cluster || positionals.length > 1) {
    throw new UsageError('usage: quorate guests NAME [--json]');
  }
  return handlers(deps, async (h) => {
    const r = await h.pveGuests({ cluster });
    if (!r.ok) {
      return failWith(io, values.json, r);
    }
    if (values.json) {
      io.stdout(
        `${JSON.stringify({ guests: r.value.guests.map((g) => ({ id: g.id, kind: g.kind, name: g.name, node: g.node, status: g.status, ha: g.ha })) })}\n`,
      );
      return 0;
    }
    if (r.value.guests.length === 0) {
      io.stdout(`${cluster} has no guests.\n`);
    }
    for (const g of r.value.guests) {
      io.stdout(
        `${String(g.id).padStart(6)} ${g.kind} ${g.name.padEnd(20)} ${g.node.padEnd(12)} ${g.status}${g.ha ? '  (HA)' : ''}\n`,
      );
    }
    return 0;
  });
}

const USAGE =
  'usage: quorate migrate NAME (--vm VMID|--ct CTID) --to NODE [--online] [--with-local-disks] [--plan] [--json]';

export async function runMigrateCommand(argv: string[], io: CliIo, deps: PveCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      vm: { type: 'string' },
      ct: { type: 'string' },
      to: { type: 'string' },
      online: { type: 'boolean', default: false },
      'with-local-disks': { type: 'boolean', default: false },
      plan: { type: 'boolean', default: false },
    },
  });
  const cluster = positionals[0];
  const raw = values.vm ?? values.ct;
  if (
    !cluster ||
    positionals.length > 1 ||
    !values.to ||
    (values.vm === undefined) === (values.ct === undefined) ||
    !/^\d+$/.test(raw ?? '')
  ) {
    throw new UsageError(USAGE);
  }
  const params = {
    cluster,
    kind: values.vm !== undefined ? ('vm' as const) : ('ct' as const),
    id: Number(raw),
    to: values.to,
    ...(values.online ? { online: true } : {}),
    ...(values['with-local-disks'] ? { withLocalDisks: true } : {}),
    ...(values.plan ? { plan: true } : {}),
  };
  return handlers(deps, async (h, events) => {
    // The task log as it comes (stderr with --json, so stdout stays one JSON document).
    let streamed = 0;
    const off = events?.subscribe((event, payload) => {
      const e = payload as PveMigrateProgress;
      if (event === 'onDidPveMigrateProgress' && e.cluster === cluster && e.id === params.id) {
        streamed++;
        (values.json ? io.stderr : io.stdout)(`  | ${e.line}\n`);
      }
    });
    const r = await h.pveMigrate(params).finally(() => off?.());
    if (!r.ok) {
      return failWith(io, values.json, r);
    }
    const v = r.value;
    const code = v.status === 'planned' || v.status === 'migrated' ? 0 : 1;
    if (values.json) {
      io.stdout(`${JSON.stringify({ ok: code === 0, ...v })}\n`);
      return code;
    }
    for (const c of v.checks) {
      io.stdout(`  ${c.result.padEnd(4)} ${c.by === 'proxmox' ? 'Proxmox' : 'Quorate'}: ${c.message}\n`);
    }
    for (const l of streamed > 0 ? [] : v.log) {
      io.stdout(`  | ${l}\n`);
    }
    io.stdout(`${v.message}\n`);
    return code;
  });
}
