/** The contract: push alert channels (ntfy, Gotify, JSON webhook, e-mail), their test, and where they are sent from. */
import type { AlertChannelKind, AlertEventKind } from '../../agent/alert-format';
import { ALERT_EVENT_KINDS } from '../../agent/alert-format';
import type { Result } from '../../result';
import { array, boolean, literal, none, object, optional, pattern, string } from '../validators';
import { clusterName } from './shared';
import type { MethodTable } from './table';

export type { AlertChannelKind, AlertEventKind };

export interface AlertChannelView {
  readonly id: string;
  readonly kind: AlertChannelKind;
  /** For e-mail the SMTP URL; never a password or token. */
  readonly url: string;
  readonly topic: string | null;
  readonly from: string | null;
  readonly to: string | null;
  readonly events: readonly AlertEventKind[];
  readonly fromAgents: boolean;
  readonly cluster: string | null;
  /** A token (Gotify) or SMTP password is stored in the keyring. */
  readonly hasSecret: boolean;
}

export interface AddAlertChannelParams {
  readonly kind: AlertChannelKind;
  readonly url: string;
  readonly topic?: string;
  readonly from?: string;
  readonly to?: string;
  /** Gotify's app token, or the SMTP password: goes to the keyring (and to the agents with fromAgents). */
  readonly secret?: string;
  /** Default: quorum lost/regained, node left/joined, QDevice unreachable, failover, ha-error (DEFAULT_ALERT_EVENTS). */
  readonly events?: readonly AlertEventKind[];
  readonly fromAgents?: boolean;
  readonly cluster?: string;
}

export interface AlertPushReport {
  /** Nodes that now hold the channel settings, and those that could not be reached. */
  readonly pushed: readonly string[];
  readonly failed: readonly { readonly node: string; readonly message: string }[];
}

export interface AlertsApi {
  /** Errors: `alerts.bad-url`, `alerts.missing-field`, `alerts.agent-email`. */
  addAlertChannel(
    params: AddAlertChannelParams,
  ): Promise<Result<{ readonly id: string; readonly push: AlertPushReport | null }>>;
  listAlertChannels(): Promise<Result<AlertChannelView[]>>;
  removeAlertChannel(params: { readonly id: string }): Promise<Result<{ readonly push: AlertPushReport | null }>>;
  /** Sends a test message now. Errors: `alerts.unreachable`, `alerts.rejected`, `alerts.smtp-auth`, `alerts.unknown`. */
  testAlertChannel(params: { readonly id: string }): Promise<Result<{ readonly id: string; readonly sent: true }>>;
}

const channelId = pattern(/^ch-[0-9a-f]{6,16}$/, 'a channel id like ch-1a2b3c');

export const alertsMethods: MethodTable<AlertsApi> = {
  addAlertChannel: object({
    kind: literal('webhook', 'ntfy', 'gotify', 'email'),
    url: string({ max: 2048 }),
    topic: optional(pattern(/^[A-Za-z0-9_-]{1,64}$/, 'an ntfy topic: letters, digits, _ or -')),
    from: optional(string({ max: 320 })),
    to: optional(string({ max: 320 })),
    secret: optional(string({ max: 1024 })),
    events: optional(array(literal(...ALERT_EVENT_KINDS), { min: 1, max: ALERT_EVENT_KINDS.length, unique: true })),
    fromAgents: optional(boolean()),
    cluster: optional(clusterName),
  }),
  listAlertChannels: none(),
  removeAlertChannel: object({ id: channelId }),
  testAlertChannel: object({ id: channelId }),
};
