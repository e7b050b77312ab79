/**
 * The operations end to end: connect, check (pre-flight, preconditions), plan, execute (journaled),
 * verify, remember. The CLI and the app call these; every expected failure is a `Result`.
 * One file per operation (op-*.ts) over the shared runner (run.ts); this file is their index.
 */
export type { ClusterState, OpResult, OpsContext } from './run';
export { readClusterState } from './run';
export { preflightMachines } from './op-preflight';
export { createCluster, type CreateRequest } from './op-create';
export { joinCluster, type JoinRequest } from './op-join';
export { removeNode, type RemoveRequest } from './op-remove';
export { removeQdevice, setupQdevice, type QdeviceSetupRequest } from './op-qdevice';
export { changeLink, type LinkRequest } from './op-link';
export { setExpected } from './op-expected';
export { readLiveState, type LiveClusterState } from './status';
