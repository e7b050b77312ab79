/**
 * The tray icon: the worst health across all watched clusters, so the app keeps watching while its
 * window is closed. Clicking it (or "Open Quorate") shows the dashboard.
 */
import { app, Menu, nativeImage, Tray } from 'electron';
import { join } from 'node:path';
import type { HealthState } from '../engine/api/contract';
import { worstState } from '../engine/monitor/health';
import type { DisposableStore } from './disposables';
import type { Windows } from './windows';
import type { WatchFeed } from './watch-feed';

const labels: Record<HealthState, string> = {
  quorate: 'All clusters quorate',
  degraded: 'A cluster is degraded (a node or the QDevice is missing)',
  unknown: 'Some clusters cannot be reached',
  inquorate: 'A cluster has lost quorum',
};

/** `trayDir` holds `<state>.png` and `<state>@2x.png` (build/icons/tray, or resources/tray when packaged). */
export function setupTray(feed: WatchFeed, windows: Windows, trayDir: string, disposables: DisposableStore): void {
  const healths = new Map<string, { readonly cluster: string; readonly state: HealthState }>();
  const icon = (state: HealthState): Electron.NativeImage => nativeImage.createFromPath(join(trayDir, `${state}.png`));
  const tray = new Tray(icon('quorate'));
  const render = (): void => {
    const list = [...healths.values()];
    const state = list.length === 0 ? 'quorate' : worstState(list);
    tray.setImage(icon(state));
    const summary = list.length === 0 ? 'No clusters yet' : labels[state];
    tray.setToolTip(`Quorate — ${summary}`);
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: summary, enabled: false },
        ...list.map((h) => ({ label: `${h.cluster}: ${h.state}`, click: () => windows.show('#/dashboard') })),
        { type: 'separator' as const },
        { label: 'Open Quorate', click: () => windows.show() },
        { label: 'Quit', click: () => app.quit() },
      ]),
    );
  };
  tray.on('click', () => windows.show('#/dashboard'));
  render();
  const stop = feed.onHealth((health) => {
    healths.set(health.cluster, health);
    render();
  });
  disposables.add(() => {
    stop();
    tray.destroy();
  });
}
