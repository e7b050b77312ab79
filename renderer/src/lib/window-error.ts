/**
 * Engine errors in the window's words. The engine's hints are written for the front door that
 * most often shows them, the CLI ("run the same command again", "--rollback", "quorate hosts add");
 * in the window the same advice is a button or a page. Pure: a table of phrasings, tested in
 * test/renderer/lib.test.ts. The code stays available (Details), never as the only text.
 */
import type { QuorateError } from '../../../engine/result';

export interface WindowWordingOptions {
  /** The dialog offers Resume and Roll back for this failure (a journaled operation stopped half-way). */
  readonly resumable?: boolean;
}

type Rule = readonly [pattern: RegExp, replacement: (o: WindowWordingOptions) => string];

const RULES: readonly Rule[] = [
  [
    /Fix the cause shown, then run the same command again: it continues where it stopped \(or add --rollback to undo\)\./g,
    (o) =>
      o.resumable
        ? 'Fix the cause shown, then press Resume: it continues where it stopped (or Roll back to undo what was done).'
        : 'Fix the cause shown, then try again: it continues where it stopped.',
  ],
  [
    /Finish it first \(run that command again\) or undo it \(the same command with --rollback\)/g,
    (o) =>
      o.resumable ? 'Finish it first (Resume) or undo it (Roll back)' : 'Finish or roll back that operation first',
  ],
  [
    /Run the same operation again: it resumes where it stopped, or rolls back\./g,
    (o) =>
      o.resumable
        ? 'Resume continues where it stopped; Roll back undoes the steps already done.'
        : 'Try the operation again: it continues where it stopped.',
  ],
  [
    /[Rr]un the same command again to continue\./g,
    (o) => (o.resumable ? 'Press Resume to continue.' : 'Try again to continue.'),
  ],
  [/,? ?then run the command again\./g, () => ', then try again.'],
  [
    /If you accept the trade-off, run again with --yes\./g,
    () => 'If you accept the trade-off, tick the confirmation and review the plan again.',
  ],
  [
    /To remove anyway, pass --force and type the cluster name \(([^)]+)\) to confirm\./g,
    () => 'To remove anyway, tick “Force” and type the cluster name to confirm.',
  ],
  [/Add the machine again with --key FILE\./g, () => 'Add the machine again with a key file.'],
  [/Add the machine again with --password-stdin\./g, () => 'Add the machine again with its password.'],
  [/ \(quorate status NAME\)/g, () => ' (see the dashboard)'],
  [/ with `quorate hosts add`/g, () => ' on the Machines page'],
  [/ \(quorate qdevice remove\)/g, () => ' (Remove QDevice on the dashboard)'],
  [/quorate hosts trust \S+ --fingerprint \S+/g, () => 'trust the new fingerprint on the Machines page'],
  [/quorate bootstrap ADDR/g, () => 'Bootstrap on the Machines page'],
  [/ \(or add --rollback to undo\)/g, (o) => (o.resumable ? ' (or Roll back to undo)' : '')],
  [/ \(the same command with --rollback\)/g, (o) => (o.resumable ? ' (Roll back)' : '')],
];

/** `text` with CLI-only advice rephrased for the window. */
export function windowWording(text: string, opts: WindowWordingOptions = {}): string {
  let out = text;
  for (const [pattern, replacement] of RULES) {
    out = out.replace(pattern, (...m: string[]) => replacement(opts).replace('$1', m[1] ?? ''));
  }
  return out;
}

/**
 * The error as the window shows it: message and hint in window words; a message that is empty or
 * only the code gets a sentence, so a raw code is never the only text.
 */
export function windowError(error: QuorateError, opts: WindowWordingOptions = {}): QuorateError {
  const message =
    error.message.trim() === '' || error.message.trim() === error.code
      ? 'The operation failed without saying why.'
      : windowWording(error.message, opts);
  const hint =
    error.hint.trim() === '' || error.hint.trim() === error.code
      ? opts.resumable
        ? 'Open Details for what the engine reported, then Resume or Roll back.'
        : 'Open Details for what the engine reported.'
      : windowWording(error.hint, opts);
  return { ...error, message, hint };
}
