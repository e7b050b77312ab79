/**
 * Where main finds its files, in development (the repository, `npm start`) and packaged
 * (electron-builder: app.asar + resources/). main.cjs lives in dist/electron in both.
 */
import { app } from 'electron';
import { join } from 'node:path';

export interface AppPaths {
  /** dist/electron (main.cjs, preload.cjs). */
  readonly electronDir: string;
  /** dist/renderer. */
  readonly rendererDir: string;
  /** The node agent bundle the bootstrapper uploads. */
  readonly agentBundle: string;
  /** Tray icons (<state>.png). */
  readonly trayDir: string;
  /** The window icon in development; packaged builds take it from the package (desktop file, .icns, .ico). */
  readonly windowIcon: string | undefined;
  /** App state (machines, clusters, journal): $QUORATE_HOME, else Electron's userData folder. */
  readonly home: string;
}

export function appPaths(): AppPaths {
  const electronDir = __dirname;
  const root = join(electronDir, '..', '..');
  const resources = app.isPackaged ? process.resourcesPath : undefined;
  return {
    electronDir,
    rendererDir: join(root, 'dist', 'renderer'),
    agentBundle: resources
      ? join(resources, 'agent', 'quorate-agent.cjs')
      : join(root, 'dist', 'agent', 'quorate-agent.cjs'),
    trayDir: resources ? join(resources, 'tray') : join(root, 'build', 'icons', 'tray'),
    windowIcon: resources ? undefined : join(root, 'build', 'icons', 'png', '256x256.png'),
    home: process.env.QUORATE_HOME || app.getPath('userData'),
  };
}
