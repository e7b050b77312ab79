/**
 * `quorate bootstrap | facts | probe | uninstall`: the node agent from a terminal, a thin client of
 * the service's agents use cases (engine/api/service-agents.ts), which reach machines as they were
 * added (pinned key, stored secret, root or sudo). Shapes are fixed (scripts depend on them):
 * - `bootstrap ADDR… [--concurrency N] --json` → `{"machines":[{address, ok, action, version, agentPid,
 *   message, durationMs} | {address, ok:false, error:{code,message,hint}}]}`; progress per machine on
 *   stderr as `ADDR: phase: message`.
 * - `facts ADDR --json` → `{"address":…, "facts":{…FactsResult}}`.
 * - `probe ADDR ADDR [--port 5405] [--count 20] [--interval MS] --json` → UDP from the first to the
 *   second: `{"from","to","port","sent","received","lossPercent","rttMinMs","rttAvgMs","rttMaxMs","jitterMs"}`.
 * - `uninstall ADDR… --json` → `{"machines":[{address, ok, removed, kept, nodeInstalledByQuorate} | {address, ok:false, error}]}`.
 * Errors: message and hint on stderr, exit 1.
 */
import { parseArgs } from 'node:util';
import type { QuorateError, Result } from '../result';
import { cliError } from './io';
import { cliHintOf } from '../result';
import type { CliIo } from './io';
import { UsageError } from './io';
import type { CliServiceOptions } from './service';
import { withService } from './service';

/** Where the service keeps state and secrets, and which agent bundle it installs. */
export type AgentCommandDeps = CliServiceOptions;

export const agentUsage = [
  'quorate bootstrap ADDR… [--concurrency N] [--json]   install or upgrade the agent (idempotent)',
  'quorate facts ADDR [--json]                           what the agent reports about the machine',
  'quorate probe ADDR ADDR [--port 5405] [--count N] [--interval MS] [--json]   UDP on a corosync port',
  'quorate uninstall ADDR… [--json]                      remove the agent and everything it added',
].join('\n');

function printError(io: CliIo, address: string, e: QuorateError): void {
  io.stderr(`${address}: ${e.message}\nhint: ${cliHintOf(e)}\n`);
}

/** `quorate bootstrap ADDR…`: install in parallel (bounded), progress per machine on stderr. */
export async function runBootstrapCommand(argv: string[], io: CliIo, deps: AgentCommandDeps = {}): Promise<number> {
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
  const outcome = await withService(deps, async (service) => {
    const stop = service.events.subscribe((event, payload) => {
      if (event === 'onDidBootstrapProgress') {
        const p = payload as { address: string; phase: string; line: string | null };
        // A failure is printed once, with its hint, below.
        if (p.line !== null && p.phase !== 'failed') {
          io.stderr(`${p.address}: ${p.phase}: ${p.line}\n`);
        }
      }
    });
    try {
      return await service.handlers.bootstrap({ addresses: positionals, concurrency });
    } finally {
      stop();
    }
  });
  if (!outcome.ok) {
    printError(io, 'bootstrap', outcome.error);
    return 1;
  }
  const results = outcome.value.machines.map((m) => {
    const r: Result<NonNullable<typeof m.result>> =
      m.ok && m.result ? { ok: true, value: m.result } : { ok: false, error: m.error! };
    if (!r.ok) {
      printError(io, m.address, r.error);
    }
    return { address: m.address, r };
  });
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
        : { address, ok: false, error: cliError(r.error) },
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
export async function runFactsCommand(argv: string[], io: CliIo, deps: AgentCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) {
    throw new UsageError('facts: expected exactly one ADDR');
  }
  const address = positionals[0]!;
  const r = await withService(deps, (service) => service.agents.facts({ machine: address }));
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

/** `quorate probe FROM TO`: UDP on a corosync port from FROM's agent to TO's. */
export async function runProbeCommand(argv: string[], io: CliIo, deps: AgentCommandDeps = {}): Promise<number> {
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
  const r = await withService(deps, (service) => service.agents.probe({ from, to, port, count, intervalMs }));
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
export async function runUninstallCommand(argv: string[], io: CliIo, deps: AgentCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  if (positionals.length === 0) {
    throw new UsageError('uninstall: expected at least one ADDR');
  }
  const done = await withService(deps, (service) =>
    service.agents.uninstall({ machines: positionals }, (machine, line) => io.stderr(`${machine}: ${line}\n`)),
  );
  const results = done.map(({ machine, result: r }) => {
    if (!r.ok) {
      printError(io, machine, r.error);
    }
    return { address: machine, r };
  });
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
        : { address, ok: false, error: cliError(r.error) },
    );
    io.stdout(`${JSON.stringify({ machines })}\n`);
  } else {
    for (const { address, r } of results) {
      io.stdout(`${address}: ${r.ok ? `removed ${r.value.removed.length} item(s)` : `FAILED: ${r.error.message}`}\n`);
    }
  }
  return results.every(({ r }) => r.ok) ? 0 : 1;
}
