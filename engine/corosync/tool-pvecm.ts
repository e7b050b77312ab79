/**
 * `pvecm status` and `pvecm nodes` → typed values. pvecm (PVE::CLI::pvecm) prints a "Cluster
 * information" block from /etc/pve/corosync.conf and then execs `corosync-quorumtool -siH`;
 * `pvecm nodes` is `corosync-quorumtool -l`. The Proxmox docs render section underlines as `~~~`.
 */
import type { Result } from '../result';
import { findSection, keyValues, parseWith, sections } from './tool-text';
import {
  parseQuorumtoolList,
  statusFromSections,
  type QuorumtoolMembership,
  type QuorumtoolStatus,
} from './tool-quorumtool';

export interface PvecmClusterInfo {
  readonly name: string;
  readonly configVersion?: number;
  readonly transport?: string;
  /** `on` / `off` as printed (pvecm prints `off` when totem has no secauth). */
  readonly secureAuth?: string;
}

export interface PvecmStatus extends QuorumtoolStatus {
  /** Absent when pvecm found no totem section (it then prints only the quorumtool part). */
  readonly cluster?: PvecmClusterInfo;
}

/** Parse `pvecm status`. */
export function parsePvecmStatus(text: string): Result<PvecmStatus> {
  return parseWith('pvecm status', text, (lines) => {
    const all = sections(lines);
    const info = findSection(all, 'Cluster information');
    let cluster: PvecmClusterInfo | undefined;
    if (info) {
      const kv = keyValues(info);
      const version = kv.get('Config Version')?.value;
      const transport = kv.get('Transport')?.value;
      const secure = kv.get('Secure auth')?.value;
      cluster = {
        name: kv.get('Name')?.value ?? '',
        ...(version !== undefined && /^\d+$/.test(version) ? { configVersion: Number(version) } : {}),
        ...(transport !== undefined ? { transport } : {}),
        ...(secure !== undefined ? { secureAuth: secure } : {}),
      };
    }
    return { ...statusFromSections(all, lines), ...(cluster ? { cluster } : {}) };
  });
}

/** Parse `pvecm nodes`. */
export function parsePvecmNodes(text: string): Result<QuorumtoolMembership> {
  return parseQuorumtoolList(text, 'pvecm nodes');
}
