/**
 * The node agent on machines: bootstrap (install or upgrade, a few machines at a time, progress as
 * `onDidBootstrapProgress`), and for the terminal its facts, a UDP probe between two agents and
 * uninstall. Sessions come from the machines service (root on the machine, sudo users included).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { FactsResult, ProbeMeasureResult } from '../agent/protocol';
import { openAgent } from '../bootstrap/agents';
import type { AgentCaller } from '../bootstrap/agents';
import { probePair } from '../bootstrap/agents';
import { defaultBundlePath, loadAgentBundle } from '../bootstrap/bundle.fs';
import type { UninstallOutcome } from '../bootstrap/executor';
import { installAgents, uninstallAgent } from '../bootstrap/executor';
import { queue } from '../bootstrap/queue';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { RootSession } from '../ssh';
import { splitMachineName } from '../store';
import type { BootstrapOutcome, QuorateApi } from './contract';
import type { EventHub } from './event-hub';
import type { MachinesService } from './service-machines';

export interface AgentsDeps {
  readonly events: EventHub;
  readonly machines: MachinesService;
  readonly now: () => number;
  readonly agentBundlePath?: string;
}

export interface ProbeParams {
  readonly from: string;
  readonly to: string;
  /** UDP port in corosync's range 5405..5412. */
  readonly port: number;
  readonly count: number;
  readonly intervalMs: number;
}

/** Bootstrap (in the contract), and the agent tools only the terminal offers. */
export interface AgentsService extends Pick<QuorateApi, 'bootstrap'> {
  /** What the agent on `machine` reports about it. */
  facts(params: { readonly machine: string }): Promise<Result<FactsResult>>;
  /** UDP from `from`'s agent to `to`'s, on a corosync port. */
  probe(params: ProbeParams): Promise<Result<ProbeMeasureResult>>;
  /** Removes the agent and everything it added, per machine; `onLine` gets progress lines. */
  uninstall(
    params: { readonly machines: readonly string[] },
    onLine?: (machine: string, line: string) => void,
  ): Promise<{ machine: string; result: Result<UninstallOutcome> }[]>;
}

const BOOTSTRAP_CONCURRENCY = 4;

export function createAgentsService(deps: AgentsDeps): AgentsService {
  const withSession = async <T>(machine: string, fn: (s: RootSession) => Promise<Result<T>>): Promise<Result<T>> => {
    const s = await deps.machines.connect(machine);
    if (!s.ok) {
      return s;
    }
    try {
      return await fn(s.value);
    } finally {
      await s.value.close();
    }
  };
  const withAgent = <T>(machine: string, fn: (a: AgentCaller) => Promise<Result<T>>): Promise<Result<T>> =>
    withSession(machine, async (s) => {
      const agent = await openAgent(s);
      if (!agent.ok) {
        return agent;
      }
      try {
        return await fn(agent.value);
      } finally {
        agent.value.close();
      }
    });

  return {
    async bootstrap({ addresses, concurrency }) {
      const bundle = await loadAgentBundle(deps.agentBundlePath ?? defaultBundlePath());
      if (!bundle.ok) {
        return bundle;
      }
      type Entry = BootstrapOutcome['machines'][number];
      const outcomes: Entry[] = [];
      const sessions: { address: string; session: RootSession }[] = [];
      const progress = (
        address: string,
        phase: 'connect' | 'packages' | 'agent' | 'verify' | 'done' | 'failed',
        percent: number,
        line: string | null,
        error: Entry['error'] = null,
      ): void => deps.events.emit('onDidBootstrapProgress', { address, phase, percent, line, error, at: deps.now() });
      try {
        await Promise.all(
          addresses.map(async (address) => {
            await deps.machines.setRuntime(address, { bootstrapping: true, lastError: null });
            progress(address, 'connect', 5, `connecting to ${address}`);
            const s = await deps.machines.connect(address);
            if (!s.ok) {
              progress(address, 'failed', 100, s.error.message, s.error);
              outcomes.push({ address, ok: false, error: s.error, result: null });
              await deps.machines.setRuntime(address, { bootstrapping: false, lastError: s.error });
              return;
            }
            sessions.push({ address, session: s.value });
          }),
        );
        const byLabel = new Map(sessions.map((s) => [s.session.label, s.address]));
        const phases = {
          inspect: ['verify', 20],
          node: ['packages', 40],
          upload: ['agent', 60],
          activate: ['agent', 80],
          uninstall: ['agent', 50],
          done: ['done', 100],
          failed: ['failed', 100],
        } as const;
        const results = await installAgents(
          sessions.map((s) => s.session),
          bundle.value,
          {
            concurrency: concurrency ?? BOOTSTRAP_CONCURRENCY,
            now: deps.now,
            onProgress: (p) => {
              const address = byLabel.get(p.machine) ?? p.machine;
              const [phase, percent] = phases[p.phase];
              if (phase !== 'done' && phase !== 'failed') {
                progress(address, phase, percent, p.message);
              }
            },
          },
        );
        for (const [i, r] of results.entries()) {
          const address = sessions[i]!.address;
          if (r.ok) {
            progress(address, 'done', 100, r.value.message);
            await deps.machines.setAgentInstalled(address, true);
            await deps.machines.setRuntime(address, { bootstrapping: false, lastError: null });
            const { action, version, agentPid, message, durationMs } = r.value;
            outcomes.push({
              address,
              ok: true,
              error: null,
              result: { action, version, agentPid, message, durationMs },
            });
          } else {
            progress(address, 'failed', 100, r.error.message, r.error);
            await deps.machines.setRuntime(address, { bootstrapping: false, lastError: r.error });
            outcomes.push({ address, ok: false, error: r.error, result: null });
          }
        }
      } finally {
        await Promise.all(sessions.map((s) => s.session.close()));
      }
      const order = new Map(addresses.map((a, i) => [a, i]));
      return ok({ machines: outcomes.sort((a, b) => order.get(a.address)! - order.get(b.address)!) });
    },

    facts: ({ machine }) => withAgent(machine, (a) => a.call('facts', {}, { timeoutMs: 60_000 })),

    async probe({ from, to, port, count, intervalMs }) {
      const target = await ipOf(splitMachineName(to).address);
      if (!target.ok) {
        return target;
      }
      return withAgent(to, (toAgent) =>
        withAgent(from, (fromAgent) => probePair(fromAgent, toAgent, target.value, { port, count, intervalMs })),
      );
    },

    async uninstall({ machines }, onLine) {
      const q = queue(8);
      return Promise.all(
        machines.map((machine) =>
          q.add(async () => ({
            machine,
            result: await withSession(machine, (s) =>
              uninstallAgent(s, { onProgress: (p) => onLine?.(machine, `${p.phase}: ${p.message}`) }),
            ),
          })),
        ),
      );
    },
  };
}

async function ipOf(address: string): Promise<Result<string>> {
  if (isIP(address)) {
    return ok(address);
  }
  try {
    return ok((await lookup(address)).address);
  } catch (e) {
    return err(
      'probe.unresolved',
      `could not resolve ${address} to an address`,
      "give the machine's IP address on the cluster network",
      e,
    );
  }
}
