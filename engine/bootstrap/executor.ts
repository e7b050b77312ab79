/**
 * Install, upgrade and uninstall the agent on machines, over any `CommandRunner` (an SSH session in
 * the product). The decisions are pure (scripts.ts `planInstall`); this file only runs the scripts in
 * order, reports progress per machine, and turns failures into `bootstrap.*` errors.
 */
import type { Duplex } from 'node:stream';
import { err, ok, type QuorateError, type Result } from '../result';
import { sh } from '../shell';
import type { CommandOutput, CommandRunner, RunOptions } from '../ssh/runner';
import type { AgentBundle } from './bundle.fs';
import { queue } from './queue';
import {
  AGENT_BUNDLE_PATH,
  activateScript,
  inspectScript,
  installNodeScript,
  isPlainPath,
  parseMachineState,
  planInstall,
  prepareScript,
  uninstallScript,
  type InstallAction,
  type MachineState,
} from './scripts';

/** A machine the bootstrapper can work on: a runner, plus SFTP-as-root and socket forwarding when the session has them. */
export interface AgentHost extends CommandRunner {
  upload(
    remotePath: string,
    data: string | Uint8Array,
    mode?: number,
    options?: { sudo?: boolean },
  ): Promise<Result<void>>;
  forwardUnixSocket?(remotePath: string): Promise<Result<Duplex>>;
}

export type BootstrapPhase = 'inspect' | 'node' | 'upload' | 'activate' | 'uninstall' | 'done' | 'failed';

export interface BootstrapProgress {
  /** The runner's label: `node2 (root@198.18.0.2:22)`. */
  readonly machine: string;
  readonly phase: BootstrapPhase;
  /** One line for the user. */
  readonly message: string;
}

export interface InstallOutcome {
  readonly machine: string;
  readonly action: InstallAction;
  /** One sentence: "already installed, same version (0.1.0), running as PID 42". */
  readonly message: string;
  readonly version: string;
  readonly previousVersion: string | null;
  readonly agentPid: number | null;
  readonly nodeVersion: string | null;
  readonly nodeInstalled: boolean;
  readonly systemd: boolean;
  readonly durationMs: number;
}

export interface UninstallOutcome {
  readonly machine: string;
  /** Paths removed. */
  readonly removed: readonly string[];
  /** Directories left because they held files Quorate did not create. */
  readonly kept: readonly string[];
  /** Quorate had installed nodejs; it stays (say so, the user may remove it). */
  readonly nodeInstalledByQuorate: boolean;
}

export interface ExecutorOptions {
  readonly onProgress?: (p: BootstrapProgress) => void;
  readonly now?: () => number;
}

async function runScript(
  host: AgentHost,
  what: string,
  script: string,
  opts: RunOptions & { allowFail?: boolean } = {},
): Promise<Result<CommandOutput>> {
  const r = await host.run(sh`sh -c ${script}`, { sudo: true, timeoutMs: 120_000, ...opts });
  if (!r.ok) {
    return err(r.error.code, `${what} on ${host.label}: ${r.error.message}`, r.error.hint, r.error.cause);
  }
  if (r.value.exitCode !== 0 && !opts.allowFail) {
    const detail = (r.value.stderr.trim() || r.value.stdout.trim()).split('\n').slice(-5).join(' | ');
    return err(
      'bootstrap.step-failed',
      `${what} failed on ${host.label} (exit ${r.value.exitCode ?? r.value.signal})${detail ? `: ${detail}` : ''}`,
      'run it again; if it fails the same way, check the machine (disk space, /usr/local writable, apt sources)',
      detail,
    );
  }
  return r;
}

/** Read what is on the machine now. */
export async function inspectMachine(host: AgentHost): Promise<Result<MachineState>> {
  const r = await runScript(host, 'inspecting the machine', inspectScript(), { timeoutMs: 30_000 });
  return r.ok ? ok(parseMachineState(r.value.stdout)) : r;
}

/**
 * Install the agent, or upgrade/replace/start it; does nothing when the same version and bundle is
 * installed and answering ("already installed, same version").
 */
export async function installAgent(
  host: AgentHost,
  bundle: AgentBundle,
  options: ExecutorOptions = {},
): Promise<Result<InstallOutcome>> {
  const now = options.now ?? Date.now;
  const started = now();
  const progress = (phase: BootstrapPhase, message: string): void =>
    options.onProgress?.({ machine: host.label, phase, message });
  const failed = (r: { ok: false; error: QuorateError }): Result<never> => {
    progress('failed', r.error.message);
    return r;
  };

  progress('inspect', 'checking Node, the service manager and any installed agent');
  const inspected = await inspectMachine(host);
  if (!inspected.ok) {
    return failed(inspected);
  }
  let state = inspected.value;
  const decided = planInstall(state, bundle);
  if (!decided.ok) {
    return failed(
      err(
        decided.problem === 'no-node' ? 'bootstrap.no-node' : 'bootstrap.old-node',
        decided.problem === 'no-node'
          ? `${host.label} has no Node.js and no apt-get to install it`
          : `${host.label} has Node ${state.nodeVersion}; the agent needs Node 18 or newer, and there is no apt-get to upgrade it`,
        'install Node.js 18 or newer on that machine (e.g. from your distribution), then bootstrap again',
      ),
    );
  }
  const plan = decided.plan;
  progress('inspect', plan.reason);
  if (plan.action === 'unchanged') {
    progress('done', plan.reason);
    return ok({
      machine: host.label,
      action: 'unchanged',
      message: plan.reason,
      version: bundle.version,
      previousVersion: state.installedVersion,
      agentPid: state.agentPid,
      nodeVersion: state.nodeVersion,
      nodeInstalled: false,
      systemd: state.systemd,
      durationMs: now() - started,
    });
  }

  if (plan.installNode) {
    progress('node', `Node.js ${state.nodeVersion ?? 'missing'}: installing nodejs with apt-get`);
    const lineBuffer = { stdout: '', stderr: '' };
    const r = await runScript(host, 'installing nodejs', installNodeScript(), {
      timeoutMs: 600_000,
      progress: (c) => {
        lineBuffer[c.stream] += c.text;
        const lines = lineBuffer[c.stream].split('\n');
        lineBuffer[c.stream] = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim()) {
            progress('node', line.trim());
          }
        }
      },
    });
    if (!r.ok) {
      return failed(r);
    }
    const again = await inspectMachine(host);
    if (!again.ok) {
      return failed(again);
    }
    state = again.value;
    if (state.nodePath === null) {
      return failed(
        err(
          'bootstrap.no-node',
          `nodejs was installed on ${host.label} but no node binary is on the PATH`,
          'check the nodejs package there (dpkg -L nodejs)',
        ),
      );
    }
  }

  if (state.nodePath === null || !isPlainPath(state.nodePath)) {
    return failed(
      err(
        'bootstrap.odd-node-path',
        `${host.label}: node was found at ${JSON.stringify(state.nodePath)}, a path the agent's service cannot name safely`,
        'put node (18 or newer) at a plain path such as /usr/bin/node, then bootstrap again',
      ),
    );
  }

  progress('upload', `uploading the agent (${bundle.bytes.length} bytes) to ${AGENT_BUNDLE_PATH}`);
  const prepared = await runScript(host, 'creating /usr/local/lib/quorate-agent', prepareScript());
  if (!prepared.ok) {
    return failed(prepared);
  }
  const uploaded = await host.upload(AGENT_BUNDLE_PATH, bundle.bytes, 0o644, { sudo: true });
  if (!uploaded.ok) {
    return failed(uploaded);
  }

  progress(
    'activate',
    state.systemd
      ? 'starting the quorate-agent systemd service'
      : 'starting the agent under its supervisor (no systemd)',
  );
  const activated = await runScript(
    host,
    'starting the agent',
    activateScript({
      nodePath: state.nodePath,
      systemd: state.systemd,
      version: bundle.version,
      digest: bundle.digest,
    }),
    { timeoutMs: 60_000 },
  );
  if (!activated.ok) {
    return failed(activated);
  }
  const after = parseMachineState(activated.value.stdout);
  if (after.runningVersion !== bundle.version) {
    return failed(
      err(
        'bootstrap.agent-not-answering',
        `the agent on ${host.label} answers as version ${after.runningVersion ?? '(none)'}, expected ${bundle.version}`,
        'look at /var/log/quorate-agent.log (or journalctl -u quorate-agent) there',
      ),
    );
  }
  const message =
    plan.action === 'install'
      ? `installed agent ${bundle.version}`
      : plan.action === 'start'
        ? `started agent ${bundle.version}`
        : plan.reason.replace(/^upgrading/, 'upgraded').replace(/^replacing/, 'replaced');
  progress('done', `${message}, running as PID ${after.agentPid ?? '?'}`);
  return ok({
    machine: host.label,
    action: plan.action,
    message,
    version: bundle.version,
    previousVersion: state.installedVersion,
    agentPid: after.agentPid,
    nodeVersion: state.nodeVersion,
    nodeInstalled: plan.installNode,
    systemd: state.systemd,
    durationMs: now() - started,
  });
}

/** Stop the agent and remove everything install added. */
export async function uninstallAgent(
  host: AgentHost,
  options: ExecutorOptions = {},
): Promise<Result<UninstallOutcome>> {
  options.onProgress?.({
    machine: host.label,
    phase: 'uninstall',
    message: 'stopping the agent and removing its files',
  });
  const r = await runScript(host, 'uninstalling the agent', uninstallScript(), { timeoutMs: 60_000 });
  if (!r.ok) {
    options.onProgress?.({ machine: host.label, phase: 'failed', message: r.error.message });
    return r;
  }
  const lines = r.value.stdout.split('\n');
  const removed = lines.filter((l) => l.startsWith('removed=')).map((l) => l.slice('removed='.length));
  const kept = lines.filter((l) => l.startsWith('kept=')).map((l) => l.slice('kept='.length));
  const nodeInstalledByQuorate = lines.includes('node_by_quorate=yes');
  options.onProgress?.({
    machine: host.label,
    phase: 'done',
    message: `removed ${removed.length} item(s)${kept.length ? `; kept ${kept.join(', ')}` : ''}${nodeInstalledByQuorate ? '; nodejs (installed by Quorate) was left in place: apt-get remove nodejs if nothing else needs it' : ''}`,
  });
  return ok({ machine: host.label, removed, kept, nodeInstalledByQuorate });
}

/** Install on many machines, at most `concurrency` at once; one result per machine, in input order. */
export async function installAgents(
  hosts: readonly AgentHost[],
  bundle: AgentBundle,
  options: ExecutorOptions & { concurrency?: number } = {},
): Promise<Result<InstallOutcome>[]> {
  const q = queue(options.concurrency ?? 8);
  return Promise.all(hosts.map((h) => q.add(() => installAgent(h, bundle, options))));
}

/** Uninstall from many machines, at most `concurrency` at once. */
export async function uninstallAgents(
  hosts: readonly AgentHost[],
  options: ExecutorOptions & { concurrency?: number } = {},
): Promise<Result<UninstallOutcome>[]> {
  const q = queue(options.concurrency ?? 8);
  return Promise.all(hosts.map((h) => q.add(() => uninstallAgent(h, options))));
}
