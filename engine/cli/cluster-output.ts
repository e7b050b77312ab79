/**
 * What the cluster commands (cluster-commands.ts) print: step progress on stderr, a plan, pre-flight
 * checks, and a run's outcome or error as text or as the fixed `--json` shapes (issue 4 §3), with
 * the exit code each implies. Its own module so that cluster-commands.ts keeps flag parsing and the
 * calls to the service, and the output every operation shares is written once.
 */
import type { PreflightCheck, RanPlan, RunOutcome, RunReport, StepUpdate } from '../api/contract';
import type { QuorateError, Result } from '../result';
import { cliHintOf } from '../result';
import type { CliIo } from './io';
import { printError } from './io';

/** One progress line's worth of a step update. */
export interface Progress {
  readonly machine: string;
  readonly title: string;
  readonly state: StepUpdate['state'];
  readonly line?: string;
}

export function progressPrinter(io: CliIo, json: boolean): (e: Progress) => void {
  return (e: Progress) => {
    if (e.state === 'running' && !e.line) {
      io.stderr(`… ${e.machine}: ${e.title}\n`);
    } else if (e.state !== 'running') {
      io.stderr(`${e.state.padEnd(11)} ${e.machine}: ${e.title}${e.line ? ` — ${e.line}` : ''}\n`);
    } else if (!json) {
      io.stderr(`            ${e.machine}: ${e.line}\n`);
    }
  };
}

/** What `--plan` and results print about a plan. */
export function planView(plan: RanPlan): object {
  return {
    op: plan.op,
    cluster: plan.cluster,
    provider: plan.provider,
    files: plan.files,
    quorum: { before: plan.before, after: plan.after },
    warnings: plan.warnings,
    steps: plan.steps.map((s) => ({ id: s.id, machine: s.machine, title: s.title })),
  };
}

export function printChecks(io: CliIo, checks: readonly PreflightCheck[]): void {
  for (const c of checks) {
    io.stdout(
      `${c.status.toUpperCase().padEnd(4)} ${c.id.replace('preflight.', '').padEnd(18)} ${c.subject}: ${c.measured} (${c.threshold})\n`,
    );
    if (c.hint) {
      io.stdout(`     hint: ${c.hint}\n`);
    }
  }
}

export function printPlan(io: CliIo, plan: RanPlan): void {
  io.stdout(`plan: ${plan.op} ${plan.cluster} (${plan.provider})\n`);
  if (plan.before) {
    io.stdout(
      `quorum before: ${plan.before.quorum} of ${plan.before.expectedVotes} votes, can lose ${plan.before.canLose}\n`,
    );
  }
  io.stdout(
    `quorum after:  ${plan.after.quorum} of ${plan.after.expectedVotes} votes, can lose ${plan.after.canLose}\n`,
  );
  for (const [m, files] of Object.entries(plan.files)) {
    io.stdout(`changes on ${m}: ${files.join(', ')}\n`);
  }
  plan.steps.forEach((s, i) => io.stdout(`${String(i + 1).padStart(3)}. ${s.machine}: ${s.title}\n`));
  for (const w of plan.warnings) {
    io.stdout(`warning: ${w}\n`);
  }
}

/** Print a refused or failed operation; returns the exit code. */
export function reportError(io: CliIo, json: boolean, r: { error: QuorateError }): number {
  {
    let checks: unknown;
    if (r.error.code === 'preflight.failed' && r.error.cause) {
      try {
        checks = (JSON.parse(r.error.cause) as { checks: unknown }).checks;
      } catch {
        checks = undefined;
      }
    }
    if (json) {
      io.stdout(
        `${JSON.stringify({ ok: false, error: { code: r.error.code, message: r.error.message, hint: cliHintOf(r.error) }, ...(checks ? { checks } : {}) })}\n`,
      );
    } else {
      if (Array.isArray(checks)) {
        printChecks(
          io,
          (checks as PreflightCheck[]).filter((c) => c.status !== 'pass'),
        );
      }
      printError(io, r.error);
    }
    return 1;
  }
}

/** Print what a run reported (the run itself returned; its journal says how far it got). */
export function reportRan(
  io: CliIo,
  json: boolean,
  plan: RanPlan,
  state: string | undefined,
  resumed: boolean,
  extra: object = {},
): number {
  const verified = state === 'done';
  const rolledBack = state === 'rolled-back';
  if (json) {
    io.stdout(
      `${JSON.stringify({ ok: verified || rolledBack, verified, resumed, state, plan: planView(plan), ...extra })}\n`,
    );
  } else {
    for (const w of plan.warnings) {
      io.stdout(`warning: ${w}\n`);
    }
    io.stdout(
      rolledBack
        ? `${plan.op} ${plan.cluster}: rolled back\n`
        : `${plan.op} ${plan.cluster}: done and verified${resumed ? ' (resumed an interrupted run)' : ''}\n`,
    );
  }
  return verified || rolledBack ? 0 : 1;
}

/** Print the outcome of the service's `runPlan`; returns the exit code. */
export function reportOutcome(
  io: CliIo,
  json: boolean,
  r: Result<RunOutcome>,
  extra: (report: RunReport) => object = () => ({}),
): number {
  if (!r.ok) {
    return reportError(io, json, r);
  }
  const rep = r.value.report;
  if (!rep) {
    // ops returned an error (refused, or stopped at a step): the same error as it gave.
    return reportError(io, json, {
      error: r.value.error ?? { code: 'ops.bug', message: 'the run reported nothing', hint: 'Report this as a bug.' },
    });
  }
  return reportRan(io, json, rep.plan, rep.journalState ?? undefined, rep.resumed, extra(rep));
}
