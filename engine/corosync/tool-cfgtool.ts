/**
 * `corosync-cfgtool -s` (and `-s -b`) and `corosync-cfgtool -n` → typed values, in the format of
 * corosync 3.1's tools/corosync-cfgtool.c.
 */
import { isLinkNumber, isNodeId, type LinkNumber, type NodeId } from '../model/cluster';
import type { Result } from '../result';
import { fail, parseCount, parseWith, type ToolLine } from './tool-text';

export type LinkPeerStatus = 'localhost' | 'connected' | 'disconnected';

export interface CfgtoolLink {
  readonly linknumber: LinkNumber;
  /** `udp`, `sctp` (knet), or '' for other transports. */
  readonly transport: string;
  /** This node's address on the link. */
  readonly address: string;
  /** One entry per nodelist node, in corosync's order; nodeid is absent in brief (-b) output. */
  readonly peers: readonly { readonly nodeid?: NodeId; readonly status: LinkPeerStatus }[];
}

export interface CfgtoolStatus {
  readonly localNodeId: NodeId;
  /** `knet`, `udpu`, `udp`. */
  readonly transport: string;
  readonly links: readonly CfgtoolLink[];
}

/** Parse `corosync-cfgtool -s` (also `-s -b`, `-s -i <addr|link>`). */
export function parseCfgtoolStatus(text: string, command = 'corosync-cfgtool -s'): Result<CfgtoolStatus> {
  return parseWith(command, text, (all) => {
    const lines = all.filter((l) => l.text.trim() !== '');
    const { localNodeId, transport } = header(lines[0]);
    const links: CfgtoolLink[] = [];
    let current:
      | {
          linknumber: LinkNumber;
          transport: string;
          address?: string;
          peers: { nodeid?: NodeId; status: LinkPeerStatus }[];
        }
      | undefined;
    const finish = (at: ToolLine) => {
      if (!current) {
        return;
      }
      if (current.address === undefined) {
        fail(at, `LINK ID ${current.linknumber} has no "addr =" line`);
      }
      links.push({
        linknumber: current.linknumber,
        transport: current.transport,
        address: current.address,
        peers: current.peers,
      });
    };
    for (const line of lines.slice(1)) {
      const t = line.text.trim();
      let m: RegExpExecArray | null;
      if ((m = /^LINK ID (\d+)\s*(\S*)$/.exec(t))) {
        finish(line);
        current = { linknumber: linkNumber(m[1] as string, line), transport: m[2] as string, peers: [] };
      } else if (!current) {
        fail(line, `expected "LINK ID <n>", got "${t}"`);
      } else if ((m = /^addr\s*=\s*(\S+)$/.exec(t))) {
        current.address = m[1] as string;
      } else if (t === 'status:') {
        // per-node lines follow
      } else if ((m = /^status\s*=\s*([0-3n]*)$/.exec(t))) {
        // Brief: one character per node, enabled | connected << 1, 'n' for this node.
        for (const c of m[1] as string) {
          current.peers.push({ status: c === 'n' ? 'localhost' : c === '3' ? 'connected' : 'disconnected' });
        }
      } else if ((m = /^nodeid:\s*(\d+):\s*(localhost|connected|disconnected)$/.exec(t))) {
        current.peers.push({ nodeid: nodeId(m[1] as string, line), status: m[2] as LinkPeerStatus });
      } else {
        fail(line, `unexpected line in LINK ID ${current.linknumber}: "${t}"`);
      }
    }
    finish(lines[lines.length - 1] as ToolLine);
    return { localNodeId, transport, links };
  });
}

export interface CfgtoolNodeLink {
  readonly linknumber: LinkNumber;
  readonly transport: string;
  readonly source: string;
  readonly destination: string;
  readonly enabled: boolean;
  readonly connected: boolean;
  readonly dynconnected: boolean;
  readonly mtu: number;
}

export interface CfgtoolNode {
  readonly nodeid: NodeId;
  readonly reachable: boolean;
  readonly remote: boolean;
  readonly external: boolean;
  readonly onwire?: { readonly min: number; readonly max: number; readonly current: number };
  readonly links: readonly CfgtoolNodeLink[];
}

export interface CfgtoolNodes {
  readonly localNodeId: NodeId;
  readonly transport: string;
  /** Reachable peers only (cfgtool -n leaves out unreachable nodes and this one). */
  readonly nodes: readonly CfgtoolNode[];
}

/** Parse `corosync-cfgtool -n`. */
export function parseCfgtoolNodes(text: string, command = 'corosync-cfgtool -n'): Result<CfgtoolNodes> {
  return parseWith(command, text, (all) => {
    const lines = all.filter((l) => l.text.trim() !== '');
    const { localNodeId, transport } = header(lines[0]);
    const nodes: {
      nodeid: NodeId;
      reachable: boolean;
      remote: boolean;
      external: boolean;
      onwire?: CfgtoolNode['onwire'];
      links: CfgtoolNodeLink[];
    }[] = [];
    for (const line of lines.slice(1)) {
      const t = line.text.trim();
      let m: RegExpExecArray | null;
      if (
        (m =
          /^nodeid:\s*(\d+)((?:\s+(?:reachable|remote|external))*)(?:\s+onwire \(min\/max\/cur\):\s*(\d+),\s*(\d+),\s*(\d+))?$/.exec(
            t,
          ))
      ) {
        const words = (m[2] as string).trim().split(/\s+/);
        nodes.push({
          nodeid: nodeId(m[1] as string, line),
          reachable: words.includes('reachable'),
          remote: words.includes('remote'),
          external: words.includes('external'),
          ...(m[3] !== undefined ? { onwire: { min: Number(m[3]), max: Number(m[4]), current: Number(m[5]) } } : {}),
          links: [],
        });
      } else if (
        (m =
          /^LINK:\s*(\d+)\s*(\S*)\s+\((.*?)(?:->(.*?))?\)((?:\s+(?:enabled|connected|dynconnected))*)\s+mtu:\s*(\d+)$/.exec(
            t,
          ))
      ) {
        const node = nodes[nodes.length - 1];
        if (!node) {
          fail(line, 'a LINK line before any "nodeid:" line');
        }
        const words = (m[5] as string).trim().split(/\s+/);
        node.links.push({
          linknumber: linkNumber(m[1] as string, line),
          transport: m[2] as string,
          source: m[3] as string,
          destination: m[4] ?? '',
          enabled: words.includes('enabled'),
          connected: words.includes('connected'),
          dynconnected: words.includes('dynconnected'),
          mtu: Number(m[6]),
        });
      } else {
        fail(line, `unexpected line: "${t}"`);
      }
    }
    return { localNodeId, transport, nodes };
  });
}

function header(line: ToolLine | undefined): { localNodeId: NodeId; transport: string } {
  const m = line ? /^Local node ID (\d+), transport (\S+)$/.exec(line.text.trim()) : null;
  if (!line || !m) {
    fail(line, `expected "Local node ID <n>, transport <name>", got "${line?.text.trim() ?? ''}"`);
  }
  return { localNodeId: nodeId(m[1] as string, line), transport: m[2] as string };
}

function nodeId(text: string, line: ToolLine): NodeId {
  const n = parseCount(text, 'node id', line);
  if (!isNodeId(n)) {
    fail(line, `node id should be 1..4294967295, got ${text}`);
  }
  return n;
}

function linkNumber(text: string, line: ToolLine): LinkNumber {
  const n = Number(text);
  if (!isLinkNumber(n)) {
    fail(line, `link number should be 0..7, got ${text}`);
  }
  return n;
}
