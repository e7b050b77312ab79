/**
 * `quorate ui [--port N] [--no-open]`: the app in a browser tab. Serves the built renderer and the
 * API on 127.0.0.1 only, behind a random token. The first line on stdout is the URL (scripts and the
 * end-to-end tests read it); everything else goes to stderr. Runs until SIGINT/SIGTERM or `signal`.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ApiEndpoint } from '../api/endpoint';
import { createApiEndpoint } from '../api/service';
import { startBrowserHost } from '../host/browser-host.net';
import { openUrl } from '../host/open-url.proc';
import type { CliIo } from './io';
import { UsageError } from './io';

export const UI_USAGE = 'usage: quorate ui [--port N] [--no-open]';

export interface UiDeps {
  /** Stops the host (tests); SIGINT/SIGTERM do too. */
  readonly signal?: AbortSignal;
  /** dist/renderer by default. */
  readonly rendererDir?: string;
  /** App state folder; $QUORATE_HOME or the OS default by default. */
  readonly home?: string;
  /** The API implementation; the real engine service by default. */
  readonly endpoint?: ApiEndpoint;
  /** Browser opener; the OS default browser by default. */
  readonly open?: (url: string) => Promise<boolean>;
}

/** The repository's (or installed package's) dist/renderer. */
export function defaultRendererDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'renderer');
}

/** Exit code: 0 after a clean stop, 1 when the host could not start, 2 for usage errors (thrown). */
export async function runUiCommand(argv: string[], io: CliIo, deps: UiDeps = {}): Promise<number> {
  let values: { port?: string; 'no-open'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'no-open': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (e) {
    throw new UsageError(`ui: ${(e as Error).message}`);
  }
  if (values.help) {
    io.stdout(`${UI_USAGE}\n`);
    return 0;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`ui: --port must be an integer 0..65535, got "${values.port}"`);
  }

  const rendererDir = deps.rendererDir ?? defaultRendererDir();
  if (!existsSync(join(rendererDir, 'index.html'))) {
    io.stderr(
      `quorate ui: the renderer is not built (${join(rendererDir, 'index.html')} is missing)\nhint: run \`npm run build\` first\n`,
    );
    return 1;
  }
  const endpoint = deps.endpoint ?? createApiEndpoint({ home: deps.home });
  const host = await startBrowserHost({
    port,
    rendererDir,
    endpoint,
    onBug: (method, error) => io.stderr(`quorate ui: bug in ${method}: ${(error as Error)?.stack ?? String(error)}\n`),
  });
  if (!host.ok) {
    io.stderr(`quorate ui: ${host.error.message}\nhint: ${host.error.hint}\n`);
    if (!deps.endpoint) {
      await endpoint.dispose();
    }
    return 1;
  }
  // Two links: the browser's command line is readable by every local user, so the opener gets a
  // code of its own (used at once by the browser) and the printed one stays valid for the user.
  io.stdout(`${host.value.loginUrl()}\n`);
  io.stderr(
    'quorate ui: serving on 127.0.0.1 only; the link signs one browser in, once, within 2 minutes (then a cookie keeps it signed in). Ctrl-C stops.\n',
  );
  if (!values['no-open']) {
    const opened = await (deps.open ?? openUrl)(host.value.loginUrl());
    if (!opened) {
      io.stderr('quorate ui: could not open a browser here; open the URL above yourself.\n');
    }
  }

  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      deps.signal?.removeEventListener('abort', stop);
      done();
    };
    if (deps.signal?.aborted) {
      return stop();
    }
    deps.signal?.addEventListener('abort', stop, { once: true });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await host.value.close();
  if (!deps.endpoint) {
    await endpoint.dispose();
  }
  return 0;
}
