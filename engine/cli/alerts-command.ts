/**
 * `quorate alerts add|list|remove|test`: push alert channels from a terminal, through the same
 * handlers the Settings view calls. Fixed shapes:
 *   quorate alerts add (webhook --url URL | ntfy --url URL --topic T | gotify --url URL --token-stdin |
 *     email --smtp URL --from ADDR --to ADDR [--password-stdin]) [--events LIST] [--from-agents]
 *     [--cluster NAME] --json                        → {"id":…}
 *   quorate alerts list --json                        → {"channels":[…]}
 *   quorate alerts remove ID | quorate alerts test ID
 */
import { parseArgs } from 'node:util';
import type { AlertEventKind } from '../agent/alert-format';
import { ALERT_EVENT_KINDS } from '../agent/alert-format';
import type { AddAlertChannelParams, AlertPushReport } from '../api/contract';
import { alertsMethods } from '../api/contract/alerts';
import type { ApiHandlers } from '../api/contract';
import type { Result } from '../result';
import type { CliIo } from './io';
import { UsageError } from './io';

export const ALERTS_USAGE = `usage: quorate alerts add (webhook --url URL | ntfy --url URL --topic T | gotify --url URL --token-stdin |
                          email --smtp URL --from ADDR --to ADDR [--password-stdin])
                         [--events LIST] [--from-agents] [--cluster NAME] [--json]
       quorate alerts list [--json]
       quorate alerts remove ID
       quorate alerts test ID
events: ${ALERT_EVENT_KINDS.join(', ')}`;

type AlertsHandlers = Pick<
  ApiHandlers,
  'addAlertChannel' | 'listAlertChannels' | 'removeAlertChannel' | 'testAlertChannel'
>;

export interface AlertsCliDeps {
  /** The handlers to call; by default the service the window uses, built for this command. */
  readonly service?: AlertsHandlers;
}

function fail(io: CliIo, r: Result<unknown> & { ok: false }): number {
  io.stderr(`quorate alerts: ${r.error.message}\nhint: ${r.error.hint}\n`);
  return 1;
}

function reportPush(io: CliIo, push: AlertPushReport | null): void {
  if (!push) {
    return;
  }
  if (push.pushed.length > 0) {
    io.stderr(`channel settings now on the agents of ${push.pushed.join(', ')}\n`);
  }
  for (const f of push.failed) {
    io.stderr(`could not update the agent on ${f.node}: ${f.message} (run the command again once it is reachable)\n`);
  }
}

export async function runAlertsCommand(argv: string[], io: CliIo, deps: AlertsCliDeps = {}): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      smtp: { type: 'string' },
      topic: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'token-stdin': { type: 'boolean', default: false },
      'password-stdin': { type: 'boolean', default: false },
      events: { type: 'string' },
      'from-agents': { type: 'boolean', default: false },
      cluster: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !sub || sub === '--help') {
    io.stdout(`${ALERTS_USAGE}\n`);
    return sub ? 0 : 2;
  }
  if (deps.service) {
    return runAlerts(sub, positionals, values, io, deps.service);
  }
  const { withService } = await import('./service');
  return withService({}, (service) => runAlerts(sub, positionals, values, io, service.handlers));
}

async function runAlerts(
  sub: string,
  positionals: string[],
  values: {
    url?: string | undefined;
    smtp?: string | undefined;
    topic?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
    'token-stdin'?: boolean | undefined;
    'password-stdin'?: boolean | undefined;
    events?: string | undefined;
    'from-agents'?: boolean | undefined;
    cluster?: string | undefined;
    json?: boolean | undefined;
  },
  io: CliIo,
  service: AlertsHandlers,
): Promise<number> {
  {
    switch (sub) {
      case 'add': {
        const kind = positionals[0];
        if (kind !== 'webhook' && kind !== 'ntfy' && kind !== 'gotify' && kind !== 'email') {
          throw new UsageError(`alerts add: expected webhook, ntfy, gotify or email\n${ALERTS_USAGE}`);
        }
        const url = kind === 'email' ? values.smtp : values.url;
        if (!url) {
          throw new UsageError(`alerts add ${kind}: ${kind === 'email' ? '--smtp URL' : '--url URL'} is required`);
        }
        let events: AlertEventKind[] | undefined;
        if (values.events !== undefined) {
          events = values.events.split(',').map((s) => s.trim()) as AlertEventKind[];
          const bad = events.filter((e) => !(ALERT_EVENT_KINDS as readonly string[]).includes(e));
          if (bad.length > 0) {
            throw new UsageError(`alerts add: unknown event ${bad.join(', ')}; known: ${ALERT_EVENT_KINDS.join(', ')}`);
          }
        }
        const wantsSecret =
          (kind === 'gotify' && values['token-stdin']) || (kind === 'email' && values['password-stdin']);
        const secret = wantsSecret ? (await io.readStdin()).replace(/\r?\n$/, '') : undefined;
        const params: AddAlertChannelParams = {
          kind,
          url,
          ...(values.topic !== undefined ? { topic: values.topic } : {}),
          ...(values.from !== undefined ? { from: values.from } : {}),
          ...(values.to !== undefined ? { to: values.to } : {}),
          ...(secret ? { secret } : {}),
          ...(events ? { events } : {}),
          ...(values['from-agents'] ? { fromAgents: true } : {}),
          ...(values.cluster !== undefined ? { cluster: values.cluster } : {}),
        };
        const checked = alertsMethods.addAlertChannel(params);
        if (!checked.ok) {
          throw new UsageError(`alerts add: ${checked.error.message.replace(/^params\./, '--')}`);
        }
        const r = await service.addAlertChannel(checked.value);
        if (!r.ok) {
          return fail(io, r);
        }
        reportPush(io, r.value.push);
        io.stdout(values.json ? `${JSON.stringify({ id: r.value.id })}\n` : `added ${r.value.id}\n`);
        return 0;
      }
      case 'list': {
        const r = await service.listAlertChannels();
        if (!r.ok) {
          return fail(io, r);
        }
        if (values.json) {
          io.stdout(`${JSON.stringify({ channels: r.value })}\n`);
        } else if (r.value.length === 0) {
          io.stdout('no alert channels (add one with `quorate alerts add …`)\n');
        } else {
          for (const c of r.value) {
            const where =
              c.kind === 'ntfy' ? `${c.url} topic ${c.topic}` : c.kind === 'email' ? `${c.url} → ${c.to}` : c.url;
            io.stdout(
              `${c.id}  ${c.kind.padEnd(7)} ${where}  [${c.events.join(',')}]${c.fromAgents ? ' from the agents' : ''}${c.cluster ? ` cluster ${c.cluster}` : ''}\n`,
            );
          }
        }
        return 0;
      }
      case 'remove':
      case 'test': {
        const id = positionals[0];
        if (!id || positionals.length !== 1) {
          throw new UsageError(`alerts ${sub}: expected one channel ID`);
        }
        if (!/^ch-[0-9a-f]{6,16}$/.test(id)) {
          throw new UsageError(`alerts ${sub}: ${id} is not a channel id (ch-…); see quorate alerts list`);
        }
        if (sub === 'remove') {
          const r = await service.removeAlertChannel({ id });
          if (!r.ok) {
            return fail(io, r);
          }
          reportPush(io, r.value.push);
          io.stdout(values.json ? `${JSON.stringify({ removed: id })}\n` : `removed ${id}\n`);
          return 0;
        }
        const r = await service.testAlertChannel({ id });
        if (!r.ok) {
          return fail(io, r);
        }
        io.stdout(values.json ? `${JSON.stringify({ id, sent: true })}\n` : `sent a test message through ${id}\n`);
        return 0;
      }
      default:
        throw new UsageError(`alerts: unknown subcommand ${sub}\n${ALERTS_USAGE}`);
    }
  }
}
