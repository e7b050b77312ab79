/**
 * `quorate events NAME [--since ISO] [--local] [--json]`: a cluster's history — what this desktop saw,
 * Quorate's own operations, and (unless --local) what the nodes' agents journaled while Quorate was
 * closed, read now over SSH. The same `listEvents` handler the window calls.
 * `--json` prints the fixed shape `{"events":[{"at":ISO,"kind":…,"node":…|null,"message":…}]}`.
 */
import { parseArgs } from 'node:util';
import type { ApiHandlers } from '../api/contract';
import type { CliIo } from './io';
import { UsageError } from './io';

export const EVENTS_USAGE = 'usage: quorate events NAME [--since ISO] [--local] [--json]';

export interface EventsDeps {
  /** The handler to call; by default the service the window uses, built for this command. */
  readonly history?: Pick<ApiHandlers, 'listEvents'>;
}

export async function runEventsCommand(argv: string[], io: CliIo, deps: EventsDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      since: { type: 'string' },
      local: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    io.stdout(`${EVENTS_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`events: expected one cluster NAME\n${EVENTS_USAGE}`);
  }
  const cluster = positionals[0]!;
  if (deps.history) {
    return printEvents(deps.history, cluster, values, io);
  }
  const { withService } = await import('./service');
  return withService({}, (service) => printEvents(service.handlers, cluster, values, io));
}

async function printEvents(
  history: Pick<ApiHandlers, 'listEvents'>,
  cluster: string,
  values: { since?: string | undefined; local?: boolean | undefined; json?: boolean | undefined },
  io: CliIo,
): Promise<number> {
  {
    const r = await history.listEvents({
      cluster,
      ...(values.since !== undefined ? { since: values.since } : {}),
      fromAgents: !values.local,
    });
    if (!r.ok) {
      io.stderr(`quorate events: ${r.error.message}\nhint: ${r.error.hint}\n`);
      return 1;
    }
    if (r.value.unreachable && r.value.unreachable.length > 0) {
      io.stderr(
        `quorate events: could not read the journal of ${r.value.unreachable.join(', ')}; showing what this computer has.\n`,
      );
    }
    if (values.json) {
      const events = r.value.events.map((e) => ({ at: e.at, kind: e.kind, node: e.node, message: e.message }));
      io.stdout(`${JSON.stringify({ events })}\n`);
    } else {
      for (const e of r.value.events) {
        io.stdout(`${e.at}  ${e.kind.padEnd(19)} ${e.message}${e.opId ? `  [journal ${e.opId}]` : ''}\n`);
      }
      if (r.value.events.length === 0) {
        io.stdout(`no events for ${cluster}${values.since ? ` since ${values.since}` : ''}\n`);
      }
    }
    return 0;
  }
}
