/** Types for build/start.js (plain JavaScript, run by node without a build step). */
export function findElectron(): { path: string; why: undefined } | { path: undefined; why: string };
export function chooseHost(
  args: string[],
  options?: {
    env?: Record<string, string | undefined>;
    platform?: NodeJS.Platform;
    electron?: { path: string; why: undefined } | { path: undefined; why: string };
  },
): { host: 'electron'; path: string } | { host: 'browser'; why: string | undefined };
