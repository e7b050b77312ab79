/**
 * Real corosync on lab hosts, for tests that need a running cluster before the product can make one:
 * write corosync.conf (and an authkey) on each host, start `corosync -f`, wait until it answers.
 */
import { randomBytes } from 'node:crypto';
import type { Lab } from './lab';

export interface StartCorosyncOptions {
  /** Write /etc/corosync/authkey (same random 256 bytes on every host). Default: when the conf enables crypto. */
  readonly authkey?: boolean;
  /** Per host, until `corosync-quorumtool -s` answers. Default 20 s. */
  readonly timeoutMs?: number;
}

const LOG = '/var/log/corosync/corosync-f.log';

/**
 * A minimal corosync.conf (knet, crypto off, votequorum) for `hosts`, node ids 1..N in that order;
 * `quorum` adds lines to the quorum section, `votes` sets quorum_votes by host name.
 */
export function minimalCorosyncConf(
  lab: Lab,
  hosts: readonly (string | number)[],
  opts: { clusterName?: string; quorum?: string[]; configVersion?: number; votes?: Record<string, number> } = {},
): string {
  const nodes = hosts.map((ref, i) => {
    const h = lab.host(ref);
    const votes = opts.votes?.[h.name] ?? 1;
    return `  node {\n    name: ${h.name}\n    nodeid: ${i + 1}\n    quorum_votes: ${votes}\n    ring0_addr: ${h.address}\n  }\n`;
  });
  return [
    'logging {',
    '  debug: off',
    '  to_syslog: no',
    '  to_stderr: yes',
    '}',
    '',
    'nodelist {',
    nodes.join(''),
    '}',
    '',
    'quorum {',
    '  provider: corosync_votequorum',
    ...(opts.quorum ?? []).map((l) => `  ${l}`),
    '}',
    '',
    'totem {',
    `  cluster_name: ${opts.clusterName ?? 'lab'}`,
    `  config_version: ${opts.configVersion ?? 1}`,
    '  interface {',
    '    linknumber: 0',
    '  }',
    '  ip_version: ipv4',
    '  link_mode: passive',
    '  secauth: off',
    '  crypto_cipher: none',
    '  crypto_hash: none',
    '  transport: knet',
    '  version: 2',
    '}',
    '',
  ].join('\n');
}

/**
 * Write `confText` to /etc/corosync/corosync.conf on every host in `hosts`, start `corosync -f`
 * there (stdout/stderr in /var/log/corosync/corosync-f.log inside the host), and wait until
 * `corosync-quorumtool -s` answers on each (quorate or not). Returns host index → corosync PID
 * (root namespace). Corosyncs already started by this helper on those hosts are stopped first.
 */
export async function startCorosync(
  lab: Lab,
  hosts: readonly (string | number)[],
  confText: string,
  opts: StartCorosyncOptions = {},
): Promise<Map<number, number>> {
  await stopCorosync(lab, hosts);
  const crypto = opts.authkey ?? /crypto_cipher:\s*(?!none)\S+/.test(confText);
  const key = crypto ? randomBytes(256) : undefined;
  for (const ref of hosts) {
    const h = lab.host(ref);
    const conf = await h.runner.upload('/etc/corosync/corosync.conf', confText, 0o644);
    if (!conf.ok) {
      throw new Error(`startCorosync: ${conf.error.message}`);
    }
    if (key) {
      const k = await h.runner.upload('/etc/corosync/authkey', key, 0o400);
      if (!k.ok) {
        throw new Error(`startCorosync: ${k.error.message}`);
      }
    }
  }
  const pids = new Map<number, number>();
  for (const ref of hosts) {
    const h = lab.host(ref);
    await lab.exec(h.index, `mkdir -p /var/log/corosync; : > ${LOG}`);
    pids.set(h.index, await lab.spawnDaemon(h.index, ['corosync', '-f'], { logFile: LOG }));
  }
  await Promise.all(hosts.map((ref) => waitCorosyncAnswers(lab, ref, opts.timeoutMs ?? 20_000)));
  return pids;
}

/** Until `corosync-quorumtool -s` exits 0 (quorate) or 2 (not quorate) on `host`. */
export async function waitCorosyncAnswers(lab: Lab, host: string | number, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    const r = await lab.exec(host, 'corosync-quorumtool -s', { timeoutMs: 5000 });
    if (r.exitCode === 0 || r.exitCode === 2) {
      return;
    }
    last = `${r.stdout}${r.stderr}`.trim();
    if (lab.daemons(host).every((d) => d.argv[0] !== 'corosync')) {
      const log = await lab.exec(host, `tail -n 30 ${LOG}`);
      throw new Error(`corosync on ${lab.host(host).name} exited: ${log.stdout}`);
    }
    await new Promise((r2) => setTimeout(r2, 200));
  }
  throw new Error(`corosync on ${lab.host(host).name} does not answer after ${timeoutMs} ms: ${last}`);
}

/** Until `corosync-quorumtool -s` on `host` reports quorate (`true`) or not (`false`). */
export async function waitQuorate(
  lab: Lab,
  host: string | number,
  quorate: boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await lab.exec(host, 'corosync-quorumtool -s', { timeoutMs: 8000 });
    if (r.exitCode === (quorate ? 0 : 2)) {
      return;
    }
    await new Promise((r2) => setTimeout(r2, 250));
  }
  throw new Error(`${lab.host(host).name} did not become ${quorate ? 'quorate' : 'inquorate'} within ${timeoutMs} ms`);
}

/** Stop the corosyncs (and qdevice/qnetd daemons) started on `hosts` (default: all). */
export async function stopCorosync(lab: Lab, hosts?: readonly (string | number)[]): Promise<void> {
  const indexes = new Set((hosts ?? lab.hosts.map((h) => h.index)).map((r) => lab.host(r).index));
  const doomed = lab
    .daemons()
    .filter(
      (d) =>
        indexes.has(d.host) && /^(corosync|corosync-qdevice|corosync-qnetd)$/.test(d.argv[0]?.split('/').pop() ?? ''),
    );
  // qdevice before corosync: it would otherwise log errors about the lost cmap connection.
  doomed.sort((a, b) => Number(b.argv[0]?.includes('qdevice')) - Number(a.argv[0]?.includes('qdevice')));
  for (const d of doomed) {
    await lab.killDaemon(d.pid, { graceMs: 5000 });
  }
}
