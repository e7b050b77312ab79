/** Moved to engine/plan/plan.ts (the room below ops and providers); kept so ops' imports read on. */
export * from '../plan/plan';
