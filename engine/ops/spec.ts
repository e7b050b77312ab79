/** Moved to engine/plan/spec.ts (the room below ops and providers); kept so ops' imports read on. */
export * from '../plan/spec';
