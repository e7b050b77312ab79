/**
 * Cluster operations: plans of idempotent, journaled steps over `CommandRunner`s.
 * Start with `operations.ts` (what the CLI and the app call), then `plans.ts` (pure plan builders),
 * `executor.ts` (runs and journals), `scripts.ts` (the shell each step runs on a node).
 */
export type { Plan, Step, StepAction, StepProgress, ServiceName } from './plan';
export { filesOf } from './plan';
export type { ClusterSpec, SpecNode, SpecQdevice } from './spec';
export {
  newSpec,
  withNodes,
  withoutNode,
  withQdevice,
  withoutQdevice,
  withLink,
  quorumSummary,
  nextNodeId,
  specLinks,
  specFromConf,
} from './spec';
export { planCreate, planJoin, planRemove, planLink, planQdeviceSetup, planQdeviceRemove, planExpected } from './plans';
export type { NewNode, ProviderName } from './plans';
export { executePlan, rollback, runStep, waitQuorum } from './executor';
export type { ExecuteOptions, ExecuteOutcome, StepEvent, StepEventState } from './executor';
export type { Journal, JournalState, JournalStore } from './journal';
export { opIdOf, isUnfinished } from './journal';
export { fileJournalStore } from './journal.fs';
export {
  preflightMachines,
  createCluster,
  joinCluster,
  removeNode,
  changeLink,
  setupQdevice,
  removeQdevice,
  setExpected,
  readLiveState,
  readClusterState,
} from './operations';
export type {
  OpsContext,
  OpResult,
  CreateRequest,
  JoinRequest,
  RemoveRequest,
  LinkRequest,
  QdeviceSetupRequest,
  LiveClusterState,
  ClusterState,
} from './operations';
export { gatherPreflightInput, addressInCidr } from './preflight-gather.ssh';
export { loadCluster, saveCluster, deleteCluster } from './registry.fs';
export type { ClusterRecord as OpsClusterRecord } from './registry.fs';
