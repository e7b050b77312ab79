/**
 * `quorate bootstrap | facts | probe | uninstall`: the node agent from a terminal. The lead wires
 * these into main.ts with a `connect(address)` that logs in with the stored credentials and pinned
 * host key. Shapes are fixed (scripts depend on them):
 * - `bootstrap ADDR… [--concurrency N] --json` → `{"machines":[{address, ok, action, version, agentPid,
 *   message, durationMs} | {address, ok:false, error:{code,message,hint}}]}`; progress per machine on
 *   stderr as `ADDR: phase: message`.
 * - `facts ADDR --json` → `{"address":…, "facts":{…FactsResult}}`.
 * - `probe ADDR ADDR [--port 5405] [--count 20] [--interval MS] --json` → UDP from the first to the
 *   second: `{"from","to","port","sent","received","lossPercent","rttMinMs","rttAvgMs","rttMaxMs","jitterMs"}`.
 * - `uninstall ADDR… --json` → `{"machines":[{address, ok, removed, kept, nodeInstalledByQuorate} | {address, ok:false, error}]}`.
 * Errors: message and hint on stderr, exit 1.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import type { FactsResult } from '../agent/protocol';
import { openAgent, probePair, type AgentCaller } from '../bootstrap/agents';
import { loadAgentBundle, type AgentBundle } from '../bootstrap/bundle.fs';
import { installAgent, uninstallAgent, type AgentHost, type BootstrapProgress } from '../bootstrap/executor';
import { queue } from '../bootstrap/queue';
import { err, type QuorateError, type Result } from '../result';
import type { CliIo } from './io';
import { UsageError } from './io';

export interface AgentCommandDeps {
  /** Log in to a known machine (stored user, secret, pinned host key). The command closes it. */
  connect(address: string): Promise<Result<AgentHost>>;
  /** Default: dist/agent/quorate-agent.cjs. */
  readonly bundle?: AgentBundle;
}

export const agentUsage = [
  'quorate bootstrap ADDR… [--concurrency N] [--json]   install or upgrade the agent (idempotent)',
  'quorate facts ADDR [--json]                           what the agent reports about the machine',
  'quorate probe ADDR ADDR [--port 5405] [--count N] [--interval MS] [--json]   UDP on a corosync port',
  'quorate uninstall ADDR… [--json]                      remove the agent and everything it added',
].join('\n');

function printError(io: CliIo, address: string, e: QuorateError): void {
  io.stderr(`${address}: ${e.message}\nhint: ${e.hint}\n`);
}

/** Connect, run, close; the connection error becomes the result. */
async function withHost<T>(
  deps: AgentCommandDeps,
  address: string,
  fn: (host: AgentHost) => Promise<Result<T>>,
): Promise<Result<T>> {
  const host = await deps.connect(address);
  if (!host.ok) {
    return host;
  }
  try {
    return await fn(host.value);
  } finally {
    await host.value.close();
  }
}

async function withAgent<T>(
  deps: AgentCommandDeps,
  address: string,
  fn: (agent: AgentCaller) => Promise<Result<T>>,
): Promise<Result<T>> {
  return withHost(deps, address, async (host) => {
    const agent = await openAgent(host);
    if (!agent.ok) {
      return agent;
    }
    try {
      return await fn(agent.value);
    } finally {
      agent.value.close();
    }
  });
}

/** `quorate bootstrap ADDR…`: install in parallel (bounded), progress per machine on stderr. */
export async function runBootstrapCommand(argv: string[], io: CliIo, deps: AgentCommandDeps): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, concurrency: { type: 'string' } },
  });
  if (positionals.length === 0) {
    throw new UsageError('bootstrap: expected at least one ADDR');
  }
  const concurrency = values.concurrency === undefined ? 8 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`bootstrap: --concurrency must be a positive integer, got ${values.concurrency}`);
  }
  let bundle = deps.bundle;
  if (!bundle) {
    const loaded = await loadAgentBundle();
    if (!loaded.ok) {
      printError(io, 'bootstrap', loaded.error);
      return 1;
    }
    bundle = loaded.value;
  }
  const b = bundle;
  const q = queue(concurrency);
  const results = await Promise.all(
    positionals.map((address) =>
      q.add(async () => {
        const onProgress = (p: BootstrapProgress): void => io.stderr(`${address}: ${p.phase}: ${p.message}\n`);
        const r = await withHost(deps, address, (host) => installAgent(host, b, { onProgress }));
        if (!r.ok) {
          printError(io, address, r.error);
        }
        return { address, r };
      }),
    ),
  );
  if (values.json) {
    const machines = results.map(({ address, r }) =>
      r.ok
        ? {
            address,
            ok: true,
            action: r.value.action,
            version: r.value.version,
            agentPid: r.value.agentPid,
            message: r.value.message,
            durationMs: r.value.durationMs,
          }
        : { address, ok: false, error: r.error },
    );
    io.stdout(`${JSON.stringify({ machines })}\n`);
  } else {
    for (const { address, r } of results) {
      io.stdout(`${address}: ${r.ok ? r.value.message : `FAILED: ${r.error.message}`}\n`);
    }
  }
  return results.every(({ r }) => r.ok) ? 0 : 1;
}

function factLine<T>(name: string, f: Result<T>, show: (v: T) => string): string {
  return `${name.padEnd(14)} ${f.ok ? show(f.value) : `(unknown: ${f.error.cause ?? f.error.message})`}\n`;
}

/** `quorate facts ADDR`. */
export async function runFactsCommand(argv: string[], io: CliIo, deps: AgentCommandDeps): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) {
    throw new UsageError('facts: expected exactly one ADDR');
  }
  const address = positionals[0]!;
  const r = await withAgent<FactsResult>(deps, address, (a) => a.call('facts', {}, { timeoutMs: 60_000 }));
  if (!r.ok) {
    printError(io, address, r.error);
    return 1;
  }
  const f = r.value;
  if (values.json) {
    io.stdout(`${JSON.stringify({ address, facts: f })}\n`);
    return 0;
  }
  io.stdout(
    [
      factLine('hostname', f.hostname, (v) => v),
      factLine('os', f.osRelease, (v) => v.prettyName ?? v.id ?? '?'),
      factLine('kernel', f.kernel, (v) => v),
      factLine('arch', f.arch, (v) => v),
      factLine('cpu vendor', f.cpuVendor, (v) => v ?? '-'),
      factLine('corosync', f.versions.corosync, (v) => v ?? 'not installed'),
      factLine('qdevice', f.versions.corosyncQdevice, (v) => v ?? 'not installed'),
      factLine('qnetd', f.versions.corosyncQnetd, (v) => v ?? 'not installed'),
      factLine('proxmox', f.versions.pve, (v) => v ?? 'no'),
      factLine('cluster conf', f.clusterConfig, (v) =>
        v.corosyncConf !== null || v.pveCorosyncConf !== null ? `present${v.authkeyExists ? ', authkey' : ''}` : 'none',
      ),
      factLine('membership', f.membership, (v) =>
        v.status
          ? `${v.status.quorate ? 'quorate' : 'NOT quorate'}, ${v.status.members.length} member(s)`
          : 'corosync not running',
      ),
      factLine('guests', f.guests, (v) =>
        v.length ? v.map((g) => `${g.vmid} ${g.name} (${g.kind})`).join(', ') : 'none',
      ),
      factLine('time sync', f.timeSync, (v) => v.summary),
      factLine('interfaces', f.interfaces, (v) =>
        v
          .filter((i) => !i.internal)
          .map((i) => `${i.name} ${i.addresses.join(' ')}`)
          .join('; '),
      ),
    ].join(''),
  );
  return 0;
}

async function ipOf(address: string): Promise<Result<string>> {
  if (isIP(address)) {
    return { ok: true, value: address };
  }
  try {
    return { ok: true, value: (await lookup(address)).address };
  } catch (e) {
    return err(
      'probe.unresolved',
      `could not resolve ${address} to an address`,
      "give the machine's IP address on the cluster network",
      e,
    );
  }
}

/** `quorate probe FROM TO`: UDP on a corosync port from FROM's agent to TO's. */
export async function runProbeCommand(argv: string[], io: CliIo, deps: AgentCommandDeps): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      port: { type: 'string', default: '5405' },
      count: { type: 'string', default: '20' },
      interval: { type: 'string', default: '20' },
    },
  });
  if (positionals.length !== 2) {
    throw new UsageError('probe: expected two ADDRs (from, to)');
  }
  const [from, to] = positionals as [string, string];
  const port = Number(values.port);
  const count = Number(values.count);
  const intervalMs = Number(values.interval);
  if (!Number.isInteger(port) || port < 5405 || port > 5412) {
    throw new UsageError(`probe: --port must be 5405..5412 (corosync's range), got ${values.port}`);
  }
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw new UsageError(`probe: --count must be 1..1000, got ${values.count}`);
  }
  if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > 5000) {
    throw new UsageError(`probe: --interval must be 1..5000 ms, got ${values.interval}`);
  }
  const target = await ipOf(to);
  if (!target.ok) {
    printError(io, to, target.error);
    return 1;
  }
  const r = await withAgent(deps, to, (toAgent) =>
    withAgent(deps, from, (fromAgent) => probePair(fromAgent, toAgent, target.value, { port, count, intervalMs })),
  );
  if (!r.ok) {
    printError(io, `${from} → ${to}`, r.error);
    return 1;
  }
  const m = r.value;
  if (values.json) {
    io.stdout(
      `${JSON.stringify({ from, to, port, sent: m.sent, received: m.received, lossPercent: m.lossPercent, rttMinMs: m.rttMinMs, rttAvgMs: m.rttAvgMs, rttMaxMs: m.rttMaxMs, jitterMs: m.jitterMs })}\n`,
    );
  } else {
    const ms = (v: number | null): string => (v === null ? '-' : v.toFixed(3));
    io.stdout(
      `${from} → ${to} udp/${port}: ${m.received}/${m.sent} back, ${m.lossPercent.toFixed(1)} % loss, rtt min/avg/max ${ms(m.rttMinMs)}/${ms(m.rttAvgMs)}/${ms(m.rttMaxMs)} ms, jitter ${ms(m.jitterMs)} ms\n`,
    );
  }
  return 0;
}

/** `quorate uninstall ADDR…`. */
export async function runUninstallCommand(argv: string[], io: CliIo, deps: AgentCommandDeps): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  if (positionals.length === 0) {
    throw new UsageError('uninstall: expected at least one ADDR');
  }
  const q = queue(8);
  const results = await Promise.all(
    positionals.map((address) =>
      q.add(async () => {
        const r = await withHost(deps, address, (host) =>
          uninstallAgent(host, {
            onProgress: (p: BootstrapProgress) => io.stderr(`${address}: ${p.phase}: ${p.message}\n`),
          }),
        );
        if (!r.ok) {
          printError(io, address, r.error);
        }
        return { address, r };
      }),
    ),
  );
  if (values.json) {
    const machines = results.map(({ address, r }) =>
      r.ok
        ? {
            address,
            ok: true,
            removed: r.value.removed,
            kept: r.value.kept,
            nodeInstalledByQuorate: r.value.nodeInstalledByQuorate,
          }
        : { address, ok: false, error: r.error },
    );
    io.stdout(`${JSON.stringify({ machines })}\n`);
  } else {
    for (const { address, r } of results) {
      io.stdout(`${address}: ${r.ok ? `removed ${r.value.removed.length} item(s)` : `FAILED: ${r.error.message}`}\n`);
    }
  }
  return results.every(({ r }) => r.ok) ? 0 : 1;
}
