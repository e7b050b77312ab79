export { QDEVICE_FLAG_MEANINGS, qdeviceFlags } from './quorumtool';
export * as corosyncProvider from './corosync';
export * as pveProvider from './pve';
