/**
 * The set-up the service lab tests share: the window's service over a lab, its machines added,
 * trusted and bootstrapped the way a user does it in the window, and a cluster created through the
 * same plan → run handlers. One copy, so every lab test makes its cluster the one way the product does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterStatus, Notice, OperationPlan, QuorateEvents, RunOutcome } from '../../../engine/api/contract';
import type { QuorateService, ServiceOptions } from '../../../engine/api/service';
import { createQuorateService } from '../../../engine/api/service';
import type { Result } from '../../../engine/result';
import { memorySecrets } from '../../../engine/store';
import type { Lab, LabHost } from '../../lab/lab';

/** Polls `fn` until it returns a value (not undefined), every `everyMs`, failing after `timeoutMs`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  everyMs = 200,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface LabService {
  readonly home: string;
  readonly service: QuorateService;
  /** Every notice the service raised, in order. */
  readonly notices: Notice[];
  /** Disposes the service and removes its state folder (the lab is the caller's). */
  dispose(): Promise<void>;
}

/** The window's service in a fresh state folder, collecting its notices. */
export function openLabService(prefix: string, options: Partial<ServiceOptions> = {}): LabService {
  const home = mkdtempSync(join(tmpdir(), `quorate-${prefix}-`));
  const service = createQuorateService({ home, secrets: memorySecrets(), sshTimeoutMs: 10_000, ...options });
  const notices: Notice[] = [];
  service.events.subscribe((event, payload) => {
    if (event === 'onDidNotify') {
      notices.push(payload as QuorateEvents['onDidNotify']);
    }
  });
  return {
    home,
    service,
    notices,
    dispose: async () => {
      await service.dispose();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Adds each host as root with its password, trusts the key it showed, and installs the agent. */
export async function addTrustBootstrap(service: QuorateService, hosts: readonly LabHost[]): Promise<void> {
  const h = service.handlers;
  for (const host of hosts) {
    const added = await h.addMachine({
      address: host.address,
      user: 'root',
      auth: { kind: 'password', password: host.rootPassword },
    });
    if (!added.ok) {
      throw new Error(`add ${host.address}: ${added.error.message}`);
    }
    const trusted = await h.trustMachine({ address: host.address, fingerprint: added.value.hostKey!.fingerprint });
    if (!trusted.ok) {
      throw new Error(`trust ${host.address}: ${trusted.error.message}`);
    }
  }
  const boot = await h.bootstrap({ addresses: hosts.map((x) => x.address) });
  if (!boot.ok || boot.value.machines.some((m) => !m.ok)) {
    throw new Error(`bootstrap failed: ${JSON.stringify(boot)}`);
  }
}

/**
 * Plans and runs. A plan (or its run, which re-checks) refused by pre-flight is tried again, up to 6
 * times: on this busy 2-core machine a latency sample can catch another lab's burst and exceed the
 * 5 ms LAN limit; the operation is what the tests test, not the machine's load.
 */
export async function planAndRun(
  service: QuorateService,
  plan: () => Promise<Result<OperationPlan>>,
): Promise<{ planId: string; outcome: RunOutcome }> {
  for (let attempt = 1; ; attempt++) {
    const refused = (e: { code: string } | null | undefined): boolean => e?.code === 'preflight.failed' && attempt < 6;
    const planned = await plan();
    if (!planned.ok) {
      if (refused(planned.error)) {
        console.log(`pre-flight refused the plan (${planned.error.message}); again`);
        await new Promise((r) => setTimeout(r, 5000));
        continue;
      }
      throw new Error(JSON.stringify(planned.error));
    }
    const r = await service.handlers.runPlan({ planId: planned.value.id });
    if (!r.ok) {
      throw new Error(JSON.stringify(r.error));
    }
    if (!r.value.ok && refused(r.value.error) && r.value.steps.every((s) => s.state === 'pending')) {
      console.log(`pre-flight refused the run (${r.value.error?.message}); again`);
      await new Promise((r2) => setTimeout(r2, 5000));
      continue;
    }
    return { planId: planned.value.id, outcome: r.value };
  }
}

/** Creates cluster `name` of `hosts` on link0 of the lab network and waits until it is quorate, every node online. */
export async function createLabCluster(
  service: QuorateService,
  lab: Lab,
  name: string,
  hosts: readonly LabHost[] = lab.hosts,
): Promise<ClusterStatus> {
  const { outcome } = await planAndRun(service, () =>
    service.handlers.planCreateCluster({
      name,
      nodes: hosts.map((x) => ({ address: x.address })),
      links: [{ linknumber: 0, network: `198.18.${lab.id}.0/24` }],
    }),
  );
  if (!outcome.ok) {
    throw new Error(`create ${name} failed: ${JSON.stringify(outcome.error)}`);
  }
  return until(
    `${name} quorate with every node online`,
    async () => {
      const s = await service.handlers.clusterStatus({ cluster: name });
      return s.ok && s.value.state === 'quorate' && s.value.nodes.every((n) => n.online) ? s.value : undefined;
    },
    60_000,
  );
}
