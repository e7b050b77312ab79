/**
 * `quorate status NAME [--json]`, the one cluster command that changes nothing: the service's
 * one-shot status reader printed as text or as the fixed `--json` shape. Its own module because it
 * shares no flags and no output with the operations of cluster-commands.ts (which re-exports it, so
 * `quorate status` and its tests find it where they did).
 */
import { parseArgs } from 'node:util';
import type { ClusterSnapshot } from '../api/contract';
import { createStatusService, QDEVICE_FLAG_MEANINGS, type StatusService } from '../api/service-status';
import type { ClusterCommandDeps } from './cluster-commands';
import type { CliIo } from './io';
import { cliError, printError, UsageError } from './io';
import { withService } from './service';

/** The fixed `status --json` shape: QDevice flags as a list, nodes without their machine. */
export function statusJson(v: ClusterSnapshot): object {
  return {
    quorate: v.quorate,
    expectedVotes: v.expectedVotes,
    totalVotes: v.totalVotes,
    quorum: v.quorum,
    nodes: v.nodes.map((n) => ({ name: n.name, nodeid: n.nodeid, votes: n.votes, online: n.online })),
    qdevice: v.qdevice ? { host: v.qdevice.host, flags: flagList(v.qdevice.flags) } : null,
  };
}

/** `A,V,NMW` → `['A', 'V', 'NMW']`; '' (no QDevice column) → []. */
function flagList(flags: string): string[] {
  return flags.split(',').filter((f) => f !== '');
}

/**
 * `quorate status NAME [--json]`: the service's one-shot reader (the window's first snapshot), which
 * reads corosync on the first member that answers over SSH — no agent needed (service-status.ts says why).
 */
export async function runStatusCommand(argv: string[], io: CliIo, deps: ClusterCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) {
    throw new UsageError('status: expected exactly one NAME');
  }
  const read = (status: StatusService) => status.readClusterStatus({ cluster: name });
  const r = deps.ctx
    ? await read(createStatusService({ context: () => deps.ctx!, now: Date.now }))
    : await withService(deps, (service) => read(service.handlers));
  if (!r.ok) {
    if (values.json) {
      io.stdout(`${JSON.stringify({ ok: false, error: cliError(r.error) })}\n`);
    } else {
      printError(io, r.error);
    }
    return 1;
  }
  const v = r.value;
  if (values.json) {
    io.stdout(`${JSON.stringify(statusJson(v))}\n`);
  } else {
    io.stdout(
      `Cluster ${v.clusterName} (read from ${v.readFrom})\nQuorate: ${v.quorate ? 'Yes' : 'No'}\nExpected votes: ${v.expectedVotes}\nTotal votes: ${v.totalVotes}\nQuorum: ${v.quorum}\n\nMembership\n`,
    );
    for (const n of v.nodes) {
      io.stdout(`  ${String(n.nodeid).padStart(3)}  ${n.votes}  ${n.online ? 'online ' : 'OFFLINE'}  ${n.name}\n`);
    }
    if (v.qdevice) {
      const flags = flagList(v.qdevice.flags);
      io.stdout(`\nQDevice on ${v.qdevice.host}: ${flags.join(',') || '(no flags)'}\n`);
      for (const f of flags) {
        io.stdout(`  ${f.padEnd(3)} ${QDEVICE_FLAG_MEANINGS[f] ?? ''}\n`);
      }
    }
  }
  // Exit 0 means "status read"; whether it is quorate is in the output (scripts read `quorate`).
  return 0;
}
