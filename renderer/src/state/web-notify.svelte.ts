/**
 * Notifications outside the tab, for the browser host (Electron shows native ones from main): the
 * Web Notifications API, in addition to the in-app banner. Permission is asked once, after the user
 * clicks "Allow" on a sentence that says why (browsers only grant it from a click anyway); a refusal
 * is remembered and never asked again. Clicking a notification focuses the tab on that cluster's
 * dashboard.
 */
import type { Notice, QuorateWindowApi } from '../../../engine/api/contract';
import { listen } from './listen';

const ASKED_KEY = 'quorate.notifications.asked';

export type WebPermission = 'granted' | 'denied' | 'default' | 'unsupported';

export class WebNotifier {
  readonly #api: QuorateWindowApi;
  /** `unsupported` in Electron (it has native notifications) and where the API is missing. */
  permission = $state<WebPermission>('unsupported');
  /** The one-time question is showing. */
  asking = $state(false);

  constructor(api: QuorateWindowApi) {
    this.#api = api;
    const electron = navigator.userAgent.includes('Electron');
    if (!electron && typeof Notification !== 'undefined') {
      this.permission = Notification.permission;
      this.asking = this.permission === 'default' && localStorage.getItem(ASKED_KEY) === null;
    }
  }

  /** Call from the "Allow" click (a user gesture). */
  async allow(): Promise<void> {
    localStorage.setItem(ASKED_KEY, 'yes');
    this.asking = false;
    if (typeof Notification !== 'undefined') {
      this.permission = await Notification.requestPermission();
    }
  }

  notNow(): void {
    localStorage.setItem(ASKED_KEY, 'no');
    this.asking = false;
  }

  /** Shows each engine notice as a notification while permission is granted; `open` on click. */
  listen(signal: AbortSignal, open: (cluster: string) => void): void {
    listen(this.#api, 'onDidNotify', (n) => this.#show(n, open), signal);
  }

  #show(n: Notice, open: (cluster: string) => void): void {
    if (this.permission !== 'granted' || typeof Notification === 'undefined') {
      return;
    }
    const note = new Notification(n.title, {
      body: n.guidance[0] ? `${n.body}\nFirst: ${n.guidance[0]}` : n.body,
      tag: `${n.cluster}:${n.kind}:${n.node ?? ''}:${n.resource ?? ''}`,
      requireInteraction: n.severity === 'critical',
    });
    note.onclick = () => {
      window.focus();
      open(n.cluster);
      note.close();
    };
  }
}
