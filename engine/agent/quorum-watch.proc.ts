/**
 * `quorum.watch`: polls `corosync-quorumtool -s` and emits on change only.
 *
 * Why polling and not `corosync-quorumtool -m` (both checked on 3.1.7 in the lab): `-m` does print one
 * status block per quorum event, but (1) into a pipe it is block-buffered — nothing arrives until the
 * tool exits unless it runs under `stdbuf -oL`; (2) it tracks only the quorum service (quorate flag,
 * member list), so votequorum changes such as expected votes or QDevice vote flags (A/NV, MW) go
 * unnoticed. A poll every 400 ms sees all of it, within a second of corosync noticing. Each poll has
 * its own timeout because the tool can block for seconds while a QDevice decides; a poll that times
 * out reports nothing new. The parser also reads `-m` blocks, should a stream feed be added.
 *
 * Each poll also runs `corosync-cfgtool -s` (in parallel, with the same timeout) for the state of every
 * knet link to every peer; an event goes out when the quorum view or the link view changed. And
 * `corosync-cmapctl -g totem.config_version`: when the running config version or the ring id changes,
 * corosync.conf is read again and sent, so the desktop's model follows corosync (issue 9 §1).
 */
import { readFile } from 'node:fs/promises';
import { execCommand, type ExecOutcome } from './exec.proc';
import type { QuorumWatchEvent, QuorumWatchParams } from './protocol';
import { parseConfigVersion, parseLinkStatus, WatchChangeFilter } from './link-status';
import { QuorumWatchParser } from './quorum-status';

export const DEFAULT_WATCH_INTERVAL_MS = 400;
const COROSYNC_CONF = '/etc/corosync/corosync.conf';

async function readConf(): Promise<string | null> {
  try {
    return await readFile(COROSYNC_CONF, 'utf8');
  } catch {
    return null;
  }
}

/** How a poll runs a tool (the real `execCommand`; tests count polls with their own). */
export type PollExec = (
  file: string,
  args: readonly string[],
  timeoutMs: number,
  signal: AbortSignal,
) => Promise<ExecOutcome>;

/**
 * Run until `signal` aborts; the first event is the state at subscription. It runs for months: every
 * listener it adds per poll is removed in the same poll (a watch holds at most one on `signal`).
 */
export async function watchQuorum(
  p: QuorumWatchParams,
  emit: (e: QuorumWatchEvent) => void,
  signal: AbortSignal,
  now: () => number = Date.now,
  exec: PollExec = execCommand,
): Promise<void> {
  const interval = p.intervalMs ?? DEFAULT_WATCH_INTERVAL_MS;
  const filter = new WatchChangeFilter((o) =>
    emit({
      kind: 'quorum',
      at: now(),
      running: o.running,
      status: o.status,
      links: o.links,
      ...(o.config ? { config: o.config } : {}),
    }),
  );
  let ringId: string | null = null;
  const parser = new QuorumWatchParser((o) => {
    ringId = o.status?.ringId ?? null;
    filter.quorum(o);
  });
  let confKey: string | undefined;
  let conf: string | null = null;
  const timeout = Math.max(2000, interval * 4);
  while (!signal.aborted) {
    const started = Date.now();
    const [out, cfg, ver] = await Promise.all([
      exec('corosync-quorumtool', ['-s'], timeout, signal),
      exec('corosync-cfgtool', ['-s'], timeout, signal),
      execCommand('corosync-cmapctl', ['-g', 'totem.config_version'], timeout, signal),
    ]);
    if (signal.aborted) {
      break;
    }
    // A timed-out (or runaway, cut-off) cfgtool keeps the last link view, like quorumtool's status.
    if (!cfg.timedOut && !cfg.tooLarge) {
      filter.links(cfg.notFound ? null : parseLinkStatus(cfg.stdout));
    }
    if (!out.timedOut && !out.tooLarge) {
      if (out.notFound || (out.stdout.trim() === '' && out.exitCode !== 0)) {
        parser.observeDown();
      } else {
        parser.push(out.stdout);
        parser.endBlock();
      }
    }
    if (!ver.timedOut) {
      const version = ver.exitCode === 0 ? parseConfigVersion(ver.stdout) : null;
      const key = `${version}|${ringId}`;
      if (key !== confKey) {
        confKey = key;
        conf = await readConf();
      }
      filter.config({ configVersion: version, corosyncConf: conf });
    }
    filter.flush();
    const wait = Math.max(0, interval - (Date.now() - started));
    await sleep(wait, signal);
  }
}

/** Waits `ms` or until `signal` aborts, leaving no listener and no timer behind either way. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
