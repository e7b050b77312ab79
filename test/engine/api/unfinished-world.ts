/**
 * The set-up the unfinished-operation tests share: the window's operations service over the cluster
 * commands' in-memory world, and a `remove node3` that another process (ops itself, as the CLI)
 * starts and that stops at the reload, leaving its journal unfinished in `home`.
 */
import { expect } from 'vitest';
import type { StepUpdate } from '../../../engine/api/contract';
import { createEventHub } from '../../../engine/api/event-hub';
import { createOperationsService } from '../../../engine/api/service-ops';
import type { OpsContext } from '../../../engine/ops/operations';
import { removeNode } from '../../../engine/ops/operations';
import { err } from '../../../engine/result';
import { world } from '../cli/op-world';

/** The operations service over `ctx`; step updates on its event hub are pushed to `updates`. */
export function operationsOver(home: string, ctx: OpsContext, updates: StepUpdate[] = []) {
  const events = createEventHub();
  events.subscribe((name, payload) => {
    if (name === 'onDidUpdateStep') {
      updates.push(payload as StepUpdate);
    }
  });
  return createOperationsService({
    home,
    events,
    machines: { connect: async () => err('machines.unknown', 'not here', 'none') },
    now: Date.now,
    onClustersChanged: async () => {},
    context: ctx,
  });
}

/** `remove node3` on cluster lab (node3 off), run by ops directly; `corosync-cfgtool -R` fails. */
export async function interruptedRemove(home: string): Promise<void> {
  const r = await removeNode(world(home, [], 'node3-off', /corosync-cfgtool -R/), {
    name: 'lab',
    node: 'node3',
    forceConfirm: 'lab',
  });
  expect(!r.ok && r.error.code).toBe('ops.step-failed');
}
