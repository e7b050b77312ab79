/** Shared state instances go through context, keyed by symbols (the Svelte REPL's `context.ts`). */
import { getContext, setContext } from 'svelte';
import type { AppState } from './app.svelte';

const APP = Symbol('quorate.app');

export function setApp(app: AppState): AppState {
  return setContext(APP, app);
}

export function getApp(): AppState {
  return getContext<AppState>(APP);
}
