/** Where Quorate keeps its state: `$QUORATE_HOME`, else the OS's folder for application data. */
import { join, win32 } from 'node:path';

/**
 * The state folder for an environment, platform and home directory (pure, so each OS's rule is
 * testable anywhere):
 * - `$QUORATE_HOME` when set (non-empty);
 * - Linux and other Unix: `$XDG_CONFIG_HOME/quorate`, else `~/.config/quorate`;
 * - macOS: `~/Library/Application Support/Quorate`;
 * - Windows: `%APPDATA%\Quorate`, else `~\AppData\Roaming\Quorate`.
 */
export function quorateHome(
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform,
  homedir: string,
): string {
  const explicit = env.QUORATE_HOME;
  if (explicit) {
    return explicit;
  }
  if (platform === 'win32') {
    return win32.join(env.APPDATA || win32.join(homedir, 'AppData', 'Roaming'), 'Quorate');
  }
  if (platform === 'darwin') {
    return join(homedir, 'Library', 'Application Support', 'Quorate');
  }
  // XDG: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  return xdg && xdg.startsWith('/') ? join(xdg, 'quorate') : join(homedir, '.config', 'quorate');
}
