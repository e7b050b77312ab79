import type { QuorateWindowApi } from '../../../engine/api/contract';
import { BugError } from '../../../engine/result';

/** The constructor default of every state class: the API the preload or `connect.ts` installed. */
export function defaultApi(): QuorateWindowApi {
  if (!window.quorate) {
    throw new BugError('window.quorate is not set: connectApi() must run before state is created');
  }
  return window.quorate;
}
