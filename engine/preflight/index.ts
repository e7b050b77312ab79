export type {
  Check,
  CheckStatus,
  ExistingCluster,
  GuestFact,
  InterfaceFact,
  LinkMeasurement,
  MachineFacts,
  PreflightInput,
  PreflightReport,
} from './types';
export { THRESHOLDS } from './thresholds';
export {
  runPreflight,
  networkChecks,
  clockChecks,
  versionChecks,
  identityChecks,
  membershipChecks,
  joinTargetChecks,
  adviceChecks,
} from './checks';
export { summariseProbe } from './probe';
