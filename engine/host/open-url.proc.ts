/**
 * Opens a URL in the user's default browser (`quorate ui` without `--no-open`). Best effort: when no
 * opener exists (a server without a desktop), the URL printed on stdout is the way in.
 */
import { spawn } from 'node:child_process';

/** Resolves `true` once the opener started, `false` when there is none. Never throws. */
export function openUrl(url: string, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  const [command, args] =
    platform === 'darwin'
      ? ['open', [url]]
      : platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { detached: true, stdio: 'ignore', windowsHide: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
