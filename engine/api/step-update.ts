/** ops' step events as the contract's `onDidUpdateStep` payload (operations and pre-flight's agent installs). */
import type { StepEvent } from '../ops/executor';
import type { StepUpdate } from './contract';

export function stepUpdateOf(planId: string, e: StepEvent, index: number, total: number, at: number): StepUpdate {
  return {
    planId,
    stepId: e.stepId,
    index,
    total,
    state: e.state,
    line: e.line ?? null,
    error: null,
    at,
    machine: e.machine,
    title: e.title,
  };
}
