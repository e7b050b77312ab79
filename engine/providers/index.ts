export { QDEVICE_FLAG_MEANINGS, qdeviceFlags } from './qdevice-flags';
export * as corosyncProvider from './corosync';
export * as pveProvider from './pve';
