/**
 * The agent daemon's thin shell: a unix socket server (dir 0700, socket 0600, owned by the user the
 * agent runs as — root in production) and nothing else. No TCP listener, ever. Stale sockets are
 * cleaned at start; what the daemon created is removed on stop.
 */
import { createConnection as connectSocket, createServer, type Server } from 'node:net';
import { chmod, lstat, mkdir, rmdir, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';
import { err, ok, type Result } from '../result';
import { createWallClock } from './clock';
import { createConnection, type AgentHandlers } from './commands';
import { collectFacts } from './facts.proc';
import { encodeLine, LineDecoder } from './framing';
import { probeListen, probeMeasure, stopAllResponders } from './probe.net';
import { AGENT_METHODS, AGENT_PROTOCOL_VERSION, AGENT_VERSION } from './protocol';
import { watchQuorum } from './quorum-watch.proc';
import type { AgentJournal } from './journal-watch.proc';
import type { AlertStore } from './alert-config.fs';

/** The real handlers, over this machine; `journal` is the always-on watch `serve` runs (main.ts). */
export function createHandlers(deps: { journal?: AgentJournal; alerts?: AlertStore } = {}): AgentHandlers {
  const wall = createWallClock();
  return {
    hello: () =>
      ok({
        agentVersion: AGENT_VERSION,
        protocolVersion: AGENT_PROTOCOL_VERSION,
        nodeVersion: process.version,
        pid: process.pid,
        methods: Object.keys(AGENT_METHODS),
      }),
    clock: () => ok({ wallMs: wall() }),
    facts: async () => ok(await collectFacts()),
    'probe.listen': (p) => probeListen(p),
    'probe.measure': (p) => probeMeasure(p),
    'quorum.watch': (p, emit, signal) => watchQuorum(p, emit, signal),
    'journal.read': async (p) =>
      deps.journal
        ? ok(await deps.journal.read(p.since))
        : err('agent.no-journal', 'this agent runs without its journal', 'restart the agent (quorate bootstrap ADDR)'),
    'alerts.configure': (p) =>
      deps.alerts
        ? deps.alerts.configure(p)
        : err('agent.no-alerts', 'this agent runs without alert sending', 'restart the agent (quorate bootstrap ADDR)'),
  };
}

/** Is something answering on this socket? (false for a stale file left by a killed agent) */
function socketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connectSocket(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface RunningAgent {
  readonly socket: string;
  readonly server: Server;
  /** Close every connection, remove the socket (and its directory if the daemon created it and it is empty). */
  stop(): Promise<void>;
}

/** Start serving on `socketPath`. Fails (as a value) if another agent already answers there. */
export async function serve(
  socketPath: string,
  handlers: AgentHandlers = createHandlers(),
): Promise<Result<RunningAgent>> {
  // Only ever touch what the agent made: a directory it creates (0700), the socket it binds. An
  // existing directory keeps its mode; an existing path that is not a stale socket of ours is refused.
  const dir = dirname(socketPath);
  let createdDir = false;
  const dirStat = await lstatOrNull(dir);
  if (!dirStat) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    createdDir = true;
  } else if (!dirStat.isDirectory()) {
    return err(
      'agent.socket-dir',
      `${dir} is not a directory`,
      'choose a --socket path inside a directory (the agent creates a missing one itself, mode 0700)',
    );
  }
  const existing = await lstatOrNull(socketPath);
  if (existing) {
    if (!existing.isSocket() || existing.uid !== process.getuid?.()) {
      return err(
        'agent.socket-path-taken',
        `${socketPath} exists and is not a socket this user left behind; the agent does not replace it`,
        'choose another --socket path, or remove that file yourself if you are sure it is not needed',
      );
    }
    if (await socketAlive(socketPath)) {
      return err(
        'agent.already-running',
        `another agent already answers on ${socketPath}`,
        'stop it first (uninstall, or the service manager), or use another --socket',
      );
    }
    // A socket nobody answers on, of this user: what a killed agent leaves.
    await unlink(socketPath);
  }

  const connections = new Set<{ destroy(): void }>();
  const server = createServer((sock) => {
    const conn = createConnection(handlers, (reply) => {
      if (!sock.destroyed) {
        sock.write(encodeLine(reply));
      }
    });
    const decoder = new LineDecoder({
      onMessage: (v) => conn.receive(v),
      onError: (problem) =>
        sock.write(
          encodeLine({
            id: -1,
            error: { code: 'agent.bad-frame', message: `agent: ${problem}`, hint: 'send one JSON object per line' },
          }),
        ),
    });
    const entry = { destroy: () => sock.destroy() };
    connections.add(entry);
    sock.on('data', (chunk) => decoder.push(chunk));
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      conn.close();
      connections.delete(entry);
    });
  });

  // The socket is created 0600 from the start (umask), not chmod-ed after a window of 0755.
  const oldUmask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(oldUmask);
  }
  await chmod(socketPath, 0o600);
  const made = await lstat(socketPath);

  let stopped = false;
  return ok({
    socket: socketPath,
    server,
    async stop() {
      if (stopped) {
        return;
      }
      stopped = true;
      stopAllResponders();
      for (const c of connections) {
        c.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Remove the socket only if it still is the one this agent bound (same inode). (libuv itself
      // unlinks the bound path when the server closes; this covers the case where it did not.)
      const now = await lstatOrNull(socketPath);
      if (now && now.isSocket() && now.ino === made.ino && now.dev === made.dev) {
        await unlink(socketPath).catch(() => undefined);
      }
      if (createdDir) {
        await rmdir(dir).catch(() => undefined);
      }
    },
  });
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw e;
  }
}

/** One request over the socket, for `quorate-agent call` (bootstrap's health check, scripts). */
export function callOnce(
  socketPath: string,
  method: string,
  params: unknown,
  timeoutMs: number,
): Promise<{ ok: true; reply: unknown } | { ok: false; problem: string }> {
  return new Promise((resolve) => {
    const sock = connectSocket(socketPath);
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ ok: false, problem: `no reply within ${timeoutMs} ms` });
    }, timeoutMs);
    const decoder = new LineDecoder({
      onMessage: (v) => {
        if (typeof v === 'object' && v !== null && (v as { id?: unknown }).id === 1 && !('event' in v)) {
          clearTimeout(timer);
          sock.end();
          resolve({ ok: true, reply: v });
        }
      },
      onError: () => undefined,
    });
    sock.on('connect', () => sock.write(encodeLine({ id: 1, method, params })));
    sock.on('data', (c) => decoder.push(c));
    sock.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, problem: e.message });
    });
  });
}
