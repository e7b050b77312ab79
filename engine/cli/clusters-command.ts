/**
 * `quorate clusters [list] [--json]`: the clusters Quorate manages and which machine each node is;
 * `quorate clusters adopt --from ADDR [--json]`: register a running cluster Quorate did not create
 * (fixed JSON shape, issue 11 §1); `quorate clusters forget NAME`: stop managing one (no machine is
 * touched). Each calls the service handler the window calls.
 */
import { parseArgs } from 'node:util';
import type { AdoptResult } from '../api/contract';
import type { AdoptService } from '../api/service-adopt';
import type { Result } from '../result';
import type { CliIo } from './io';
import { cliError, printError, UsageError } from './io';
import { withService } from './service';

export interface ClustersCommandDeps {
  /** Defaults to the service over the state folder's machines. */
  readonly service?: AdoptService;
}

async function call<T>(deps: ClustersCommandDeps, fn: (s: AdoptService) => Promise<Result<T>>): Promise<Result<T>> {
  return deps.service ? fn(deps.service) : withService({}, (service) => fn(service.handlers));
}

export async function runClustersCommand(argv: string[], io: CliIo, deps: ClustersCommandDeps = {}): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'adopt') {
    return adopt(rest, io, deps);
  }
  if (sub === 'forget') {
    return forget(rest, io, deps);
  }
  return list(sub === 'list' ? rest : argv, io, deps);
}

async function list(argv: string[], io: CliIo, deps: ClustersCommandDeps): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } } });
  const r = await call(deps, (s) => s.listRegisteredClusters());
  if (!r.ok) {
    printError(io, r.error);
    return 1;
  }
  const { clusters, damaged } = r.value;
  for (const d of damaged) {
    io.stderr(`quorate clusters: ${d.message}\nhint: ${d.hint}\n`);
  }
  if (values.json) {
    io.stdout(`${JSON.stringify({ clusters })}\n`);
    return 0;
  }
  if (clusters.length === 0) {
    io.stdout(
      'No clusters yet. Create one with `quorate create NAME --node ADDR …`, or adopt a running one with `quorate clusters adopt --from ADDR`.\n',
    );
  }
  for (const c of clusters) {
    const nodes = Object.entries(c.nodes)
      .map(([name, machine]) => `${name}=${machine}`)
      .join(', ');
    io.stdout(
      `${c.name} (${c.provider}${c.adopted ? ', adopted' : ''}): ${nodes}${c.qnetd ? `; QDevice on ${c.qnetd.machine}` : ''}\n`,
    );
  }
  return 0;
}

const MARK = { pass: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

async function adopt(argv: string[], io: CliIo, deps: ClustersCommandDeps): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { from: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (!values.from || positionals.length > 0) {
    throw new UsageError('clusters adopt: expected --from ADDR (a trusted machine that is a cluster member)');
  }
  const from = values.from;
  const r = await call(deps, (s) => s.adoptCluster({ from }));
  if (!r.ok) {
    if (values.json) {
      io.stdout(`${JSON.stringify({ ok: false, error: cliError(r.error) })}\n`);
    }
    printError(io, r.error);
    return 1;
  }
  const a: AdoptResult = r.value;
  if (values.json) {
    // The fixed shape, key by key (nothing else leaks in).
    const shape = {
      name: a.name,
      provider: a.provider,
      configVersion: a.configVersion,
      nodes: a.nodes.map((n) => ({
        name: n.name,
        nodeid: n.nodeid,
        addresses: n.addresses,
        machine: n.machine,
        online: n.online,
      })),
      findings: a.findings.map((f) => ({ id: f.id, status: f.status, message: f.message, hint: f.hint })),
    };
    io.stdout(`${JSON.stringify(shape)}\n`);
    return 0;
  }
  io.stdout(`adopted ${a.name} (${a.provider}, config_version ${a.configVersion})\n`);
  for (const n of a.nodes) {
    io.stdout(
      `  ${n.name} nodeid ${n.nodeid} ${n.addresses.join(', ')}: ${n.online ? 'online' : 'offline'}, ${n.machine ? `machine ${n.machine}` : 'no known machine'}\n`,
    );
  }
  for (const f of a.findings) {
    io.stdout(`${MARK[f.status]} ${f.message}\n`);
    if (f.status !== 'pass' && f.hint) {
      io.stdout(`     hint: ${f.hint}\n`);
    }
  }
  return 0;
}

async function forget(argv: string[], io: CliIo, deps: ClustersCommandDeps): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  if (positionals.length !== 1) {
    throw new UsageError('clusters forget: expected exactly one cluster NAME');
  }
  const cluster = positionals[0]!;
  const r = await call(deps, (s) => s.forgetCluster({ cluster }));
  if (!r.ok) {
    printError(io, r.error);
    return r.error.code === 'ops.unknown-cluster' ? 2 : 1;
  }
  io.stdout(`Quorate no longer manages ${cluster}; no machine was changed.\n`);
  return 0;
}
