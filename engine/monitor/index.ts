export type { ClusterHealth, HealthState, QuorumView, WatchedCluster } from './health';
export { clusterHealth, healthRank, sameHealth, worstState } from './health';
export type { Notice, NoticeKind } from './notices';
export { noticesBetween } from './notices';
export type { ClusterMonitor, ClusterMonitorOptions } from './cluster-monitor';
export { createClusterMonitor, DEFAULT_SETTLE_MS } from './cluster-monitor';
export { viewFromQuorumEvent } from './agent-views';
export type { LinkPairView } from './link-views';
export { linkPairsFromEvents } from './link-views';
