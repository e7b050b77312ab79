/**
 * The two front doors as a test drives them: the window (the service's handlers over the same RPC
 * the renderer uses, on an in-memory transport) and the CLI (`quorate …` commands run in-process
 * with captured stdout/stderr). Both over the same state folder and secret store when asked.
 */
import type { QuorateWindowApi } from '../../../engine/api/contract';
import { createQuorateApi } from '../../../engine/api/contract';
import { createRpcClient, createRpcServer } from '../../../engine/api/rpc';
import type { QuorateService, ServiceOptions } from '../../../engine/api/service';
import { createQuorateService, endpointFor } from '../../../engine/api/service';
import { createTransportPair } from '../../../engine/api/transport';
import type { CliIo } from '../../../engine/cli/io';
import { main } from '../../../engine/cli/main';
import type { CliServiceOptions } from '../../../engine/cli/service';
import { registerCommand } from '../../../engine/cli/main';

export interface Window {
  readonly api: QuorateWindowApi;
  readonly service: QuorateService;
  dispose(): Promise<void>;
}

/** A service as Electron main / `quorate ui` builds it, reached over RPC as the renderer reaches it. */
export function openWindow(options: ServiceOptions): Window {
  const service = createQuorateService(options);
  const endpoint = endpointFor(service);
  const [clientSide, serverSide] = createTransportPair();
  createRpcServer({
    transport: serverSide,
    validators: endpoint.validators,
    handlers: endpoint.handlers,
    events: endpoint.events,
    subscribe: endpoint.subscribe,
  });
  const client = createRpcClient(clientSide);
  return { api: createQuorateApi(client.call, client.on), service, dispose: () => service.dispose() };
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The last stdout line as JSON (for `--json`). */
  readonly json: unknown;
}

/**
 * `quorate ARGV…` in this process against `options` (state folder, secrets). Commands that take
 * deps get them through a wrapper registered for the run; stdin is `stdin`.
 */
export async function cli(options: CliServiceOptions, argv: string[], stdin = ''): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: async () => stdin,
  };
  const [command] = argv;
  const loaders: Record<string, () => Promise<(a: string[], io: CliIo, deps: CliServiceOptions) => Promise<number>>> = {
    hosts: async () => (await import('../../../engine/cli/hosts')).runHostsCommand,
    bootstrap: async () => (await import('../../../engine/cli/agent-commands')).runBootstrapCommand,
    facts: async () => (await import('../../../engine/cli/agent-commands')).runFactsCommand,
    preflight: async () => (await import('../../../engine/cli/cluster-commands')).runPreflightCommand,
    create: async () => (await import('../../../engine/cli/cluster-commands')).runCreateCommand,
    join: async () => (await import('../../../engine/cli/cluster-commands')).runJoinCommand,
    remove: async () => (await import('../../../engine/cli/cluster-commands')).runRemoveCommand,
    status: async () => (await import('../../../engine/cli/cluster-commands')).runStatusCommand,
  };
  const load = command ? loaders[command] : undefined;
  if (load) {
    const run = await load();
    registerCommand(command!, async () => (a, i) => run(a, i, options));
  }
  const code = await main(argv, io);
  const last = stdout.trim().split('\n').pop() ?? '';
  let json: unknown;
  try {
    json = JSON.parse(last);
  } catch {
    json = null;
  }
  return { code, stdout, stderr, json };
}

/** Lab tests reach `until` from here too (front doors and lab set-up are used together). */
export { until } from './lab-service';
