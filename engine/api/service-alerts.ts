/**
 * Push alerts: the channels (engine/alerts), their test, the desktop's own delivery of monitor
 * notices, and pushing channel settings to the agents of each cluster for channels sent "from the
 * agents" (then the desktop does not send the kinds the agents send: exactly one alert per event;
 * HA and migration news, which only a desktop sees, it sends to those channels too).
 * Secrets (Gotify token, SMTP password) live in the keyring; they travel only to the agents of the
 * clusters a channel covers, over the SSH-forwarded agent socket, and are stored there 0600.
 */
import { randomBytes } from 'node:crypto';
import { AgentClient } from '../agent/client';
import type { AlertChannel, AlertEvent } from '../agent/alert-format';
import { channelUrlProblem, channelsFor, DEFAULT_ALERT_EVENTS } from '../agent/alert-format';
import type { AgentAlertConfig } from '../agent/alert-sender';
import { loadChannels, saveChannels, secretAccountOf } from '../alerts/channels.fs';
import { agentsSend, alertKindOf } from '../alerts/notice-alert';
import type { SendAlert } from '../alerts/deliver';
import { createDeliveryQueue, sendAlert } from '../alerts/deliver';
import { AGENT_SOCKET_PATH } from '../bootstrap/scripts';
import { listClusters } from '../ops/registry.fs';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { SecretStore } from '../store';
import type { AlertChannelView, AlertPushReport, Notice, QuorateApi } from './contract';
import type { EventHub } from './event-hub';
import type { MachinesService } from './service-machines';

export type ConfigureAgent = (machine: string, config: AgentAlertConfig) => Promise<Result<unknown>>;

export interface AlertsDeps {
  readonly home: string;
  readonly secrets: SecretStore;
  readonly events: EventHub;
  readonly now: () => number;
  readonly machines?: MachinesService;
  readonly send?: SendAlert;
  readonly configureAgent?: ConfigureAgent;
  readonly log?: (line: string) => void;
  readonly setTimer?: (fn: () => void, ms: number) => () => void;
  /** Deliver monitor notices from this desktop (the app: yes; a one-shot CLI command: no). */
  readonly dispatch?: boolean;
}

export interface AlertsService extends Pick<
  QuorateApi,
  'addAlertChannel' | 'listAlertChannels' | 'removeAlertChannel' | 'testAlertChannel'
> {
  /** Sends every cluster's agents the "from the agents" channels that cover it (secrets included). */
  pushToAgents(): Promise<AlertPushReport>;
  /** Resolves when no alert is being sent or waiting for a retry. */
  idle(): Promise<void>;
  dispose(): void;
}

/** Notices older than this are history being merged (agents' journals), not news to push. */
const STALE_NOTICE_MS = 5 * 60_000;

export function createAlertsService(deps: AlertsDeps): AlertsService {
  const log = deps.log ?? ((l: string) => console.error(`quorate: ${l}`));
  const send = deps.send ?? sendAlert;
  const secretOf = async (c: AlertChannel): Promise<string | null> => {
    const r = await deps.secrets.get(secretAccountOf(c.id));
    return r.ok ? r.value : null;
  };
  const queue = createDeliveryQueue({ send, secretOf, log, ...(deps.setTimer ? { setTimer: deps.setTimer } : {}) });
  const configureAgent = deps.configureAgent ?? (deps.machines ? defaultConfigureAgent(deps.machines) : undefined);

  /** Notices still being matched to channels (the channel file is read per notice). */
  const routing = new Set<Promise<unknown>>();
  const unsubscribe =
    deps.dispatch === false
      ? () => undefined
      : deps.events.subscribe((event, payload) => {
          if (event !== 'onDidNotify') {
            return;
          }
          const n = payload as Notice;
          const kind = alertKindOf(n);
          if (deps.now() - n.at > STALE_NOTICE_MS || kind === null) {
            return;
          }
          const e: AlertEvent = {
            cluster: n.cluster,
            kind,
            node: n.node ?? null,
            at: n.at,
            source: 'Quorate on this desktop',
            detail: n.body,
            ...(n.resource ? { resource: n.resource } : {}),
          };
          const routed = loadChannels(deps.home).then((r) => {
            if (!r.ok) {
              return log(r.error.message);
            }
            for (const c of channelsFor(
              r.value.filter((x) => !x.fromAgents || !agentsSend(kind)),
              e,
            )) {
              queue.enqueue(c, e);
            }
          });
          routing.add(routed);
          void routed.finally(() => routing.delete(routed));
        });

  const view = async (c: AlertChannel): Promise<AlertChannelView> => ({
    id: c.id,
    kind: c.kind,
    url: c.url,
    topic: c.topic ?? null,
    from: c.from ?? null,
    to: c.to ?? null,
    events: c.events,
    fromAgents: c.fromAgents,
    cluster: c.cluster,
    hasSecret: (await secretOf(c)) !== null,
  });

  const service: AlertsService = {
    async addAlertChannel(p) {
      const urlProblem = channelUrlProblem(p.kind, p.url);
      if (urlProblem) {
        return err(
          'alerts.bad-url',
          `The channel URL is not usable: ${urlProblem}.`,
          'Give the full URL, e.g. https://ntfy.sh or smtp://user@mail.example.org:587.',
        );
      }
      const missing =
        p.kind === 'ntfy' && !p.topic
          ? 'an ntfy channel needs --topic'
          : p.kind === 'gotify' && !p.secret
            ? 'a Gotify channel needs its app token (--token-stdin)'
            : p.kind === 'email' && (!p.from || !p.to)
              ? 'an e-mail channel needs --from and --to'
              : p.kind === 'email' && new URL(p.url).username && !p.secret
                ? 'the SMTP URL names a user: give the password with --password-stdin'
                : null;
      if (missing) {
        return err(
          'alerts.missing-field',
          `Cannot add the channel: ${missing}.`,
          'Add the missing option and try again.',
        );
      }
      const loaded = await loadChannels(deps.home);
      if (!loaded.ok) {
        return loaded;
      }
      const c: AlertChannel = {
        id: `ch-${randomBytes(4).toString('hex')}`,
        kind: p.kind,
        url: p.url,
        ...(p.topic ? { topic: p.topic } : {}),
        ...(p.from ? { from: p.from } : {}),
        ...(p.to ? { to: p.to } : {}),
        events: p.events ?? DEFAULT_ALERT_EVENTS,
        fromAgents: p.fromAgents ?? false,
        cluster: p.cluster ?? null,
      };
      if (p.secret) {
        const stored = await deps.secrets.set(secretAccountOf(c.id), p.secret);
        if (!stored.ok) {
          return stored;
        }
      }
      const saved = await saveChannels(deps.home, [...loaded.value, c]);
      if (!saved.ok) {
        return saved;
      }
      return ok({ id: c.id, push: c.fromAgents ? await service.pushToAgents() : null });
    },
    async listAlertChannels() {
      const loaded = await loadChannels(deps.home);
      return loaded.ok ? ok(await Promise.all(loaded.value.map(view))) : loaded;
    },
    async removeAlertChannel({ id }) {
      const loaded = await loadChannels(deps.home);
      if (!loaded.ok) {
        return loaded;
      }
      const c = loaded.value.find((x) => x.id === id);
      if (!c) {
        return err('alerts.unknown', `There is no alert channel ${id}.`, 'List them with `quorate alerts list`.');
      }
      const saved = await saveChannels(
        deps.home,
        loaded.value.filter((x) => x.id !== id),
      );
      if (!saved.ok) {
        return saved;
      }
      await deps.secrets.delete(secretAccountOf(id));
      return ok({ push: c.fromAgents ? await service.pushToAgents() : null });
    },
    async testAlertChannel({ id }) {
      const loaded = await loadChannels(deps.home);
      if (!loaded.ok) {
        return loaded;
      }
      const c = loaded.value.find((x) => x.id === id);
      if (!c) {
        return err('alerts.unknown', `There is no alert channel ${id}.`, 'List them with `quorate alerts list`.');
      }
      const r = await send(
        c,
        {
          cluster: c.cluster ?? 'Quorate',
          kind: 'quorum-lost',
          node: null,
          at: deps.now(),
          source: 'a test from Quorate',
          test: true,
        },
        await secretOf(c),
      );
      return r.ok ? ok({ id, sent: true as const }) : r;
    },
    async pushToAgents() {
      const report = { pushed: [] as string[], failed: [] as { node: string; message: string }[] };
      if (!configureAgent) {
        return report;
      }
      const loaded = await loadChannels(deps.home);
      const channels = loaded.ok ? loaded.value.filter((c) => c.fromAgents) : [];
      for (const record of await listClusters(deps.home)) {
        const mine = channels.filter((c) => c.cluster === null || c.cluster === record.name);
        const config: AgentAlertConfig = {
          cluster: record.name,
          channels: await Promise.all(mine.map(async (c) => ({ ...c, secret: await secretOf(c) }))),
        };
        await Promise.all(
          Object.entries(record.nodes).map(async ([node, machine]) => {
            const r = await configureAgent(machine, config);
            if (r.ok) {
              report.pushed.push(node);
            } else {
              report.failed.push({ node, message: r.error.message });
            }
          }),
        );
      }
      return report;
    },
    idle: async () => {
      await Promise.all([...routing]);
      await queue.idle();
    },
    dispose() {
      unsubscribe();
      queue.dispose();
    },
  };
  return service;
}

function defaultConfigureAgent(machines: MachinesService): ConfigureAgent {
  return async (machine, config) => {
    const session = await machines.connect(machine);
    if (!session.ok) {
      return session;
    }
    try {
      const socket = await session.value.forwardUnixSocket(AGENT_SOCKET_PATH);
      if (!socket.ok) {
        return socket;
      }
      const client = new AgentClient(socket.value, session.value.label);
      try {
        return await client.call('alerts.configure', config, { timeoutMs: 10_000 });
      } finally {
        client.close();
      }
    } finally {
      await session.value.close();
    }
  };
}
