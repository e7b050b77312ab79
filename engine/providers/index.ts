export { parseQuorumStatus, parseMembership, QDEVICE_FLAG_MEANINGS } from './quorumtool';
export type { QuorumStatus, QuorumMember } from './quorumtool';
export * as corosyncProvider from './corosync';
export * as pveProvider from './pve';
