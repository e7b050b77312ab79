/**
 * Native notifications for the monitor's notices (quorum lost / regained, node left / joined,
 * QDevice unreachable). The monitor has already debounced them; clicking one opens the dashboard,
 * where the renderer shows the same notice as a banner with its recovery guidance.
 */
import { Notification } from 'electron';
import type { Notice } from '../engine/api/contract';
import type { DisposableStore } from './disposables';
import type { Windows } from './windows';
import type { WatchFeed } from './watch-feed';

export function setupNotifications(feed: WatchFeed, windows: Windows, disposables: DisposableStore): void {
  if (!Notification.isSupported()) {
    console.error(
      'quorate: this desktop has no notification service; quorum changes show only in the window and the tray',
    );
    return;
  }
  const shown = new Set<Notification>();
  const stop = feed.onNotice((notice: Notice) => {
    const n = new Notification({
      title: notice.title,
      body: notice.guidance.length > 0 ? `${notice.body}\n${notice.guidance[0]}` : notice.body,
      urgency: notice.severity === 'critical' ? 'critical' : notice.severity === 'warning' ? 'normal' : 'low',
      timeoutType: notice.severity === 'critical' ? 'never' : 'default',
    });
    // Keep a reference until it is dismissed, or the click handler may be garbage-collected.
    shown.add(n);
    n.on('click', () => windows.show(`#/dashboard?cluster=${encodeURIComponent(notice.cluster)}`));
    n.on('close', () => shown.delete(n));
    n.show();
  });
  disposables.add(() => {
    stop();
    for (const n of shown) {
      n.close();
    }
  });
}
