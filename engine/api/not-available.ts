/**
 * The honest answer for a method whose engine part is not there: an error, never made-up data.
 */
import type { Result } from '../result';
import { err } from '../result';

/** `api.not-available`: `what` says which capability is missing (e.g. "bootstrapping machines"). */
export function notAvailable(method: string, what: string, why: string): Result<never> {
  return err(
    'api.not-available',
    `${what} is not available in this build of Quorate (${method}).`,
    `${why} Use the CLI where it offers this, or a later version of Quorate.`,
  );
}
