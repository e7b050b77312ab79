/**
 * `corosync-qnetd-tool -l` (also -v) and `corosync-qnetd-tool -s` → typed values, in the format of
 * corosync-qdevice 3.0's qdevices/qnetd-ipc-cmd.c (tab-aligned `Key: value` lines, indented by
 * nesting level).
 */
import { isNodeId, type NodeId, type QdeviceAlgorithm, type TieBreaker } from '../model/cluster';
import type { Result } from '../result';
import { fail, parseCount, parseWith, type ToolLine } from './tool-text';

export interface QnetdClient {
  readonly nodeid: NodeId;
  /** As printed: `::ffff:198.18.0.1:44384`. */
  readonly clientAddress: string;
  /** The address without port and without the IPv4-mapped prefix: `198.18.0.1`. */
  readonly clientIp: string;
  readonly clientPort?: number;
  readonly hbIntervalMs?: number;
  readonly configVersion?: number;
  readonly configuredNodes?: readonly number[];
  readonly ringId?: string;
  readonly membershipNodes?: readonly number[];
  /** `Undefined (membership: Undefined, regular: Undefined)` etc., as printed (-v only). */
  readonly heuristics?: string;
  readonly tlsActive?: boolean;
  readonly tlsClientCertificateVerified?: boolean;
  /** Last vote sent: `ACK`, `NACK`, `Ask later`, `Wait for reply`, `No change`. */
  readonly vote?: string;
  /** The last ACK/NACK vote behind a `No change`. */
  readonly lastAckNackVote?: string;
}

export interface QnetdCluster {
  readonly name: string;
  /** As printed: `Fifty-Fifty split`, `LMS`, `2 Node LMS`, `Test`. */
  readonly algorithmName?: string;
  readonly algorithm?: QdeviceAlgorithm | '2nodelms' | 'test';
  /** `(KAP Tie-breaker)`: keep-active-partition tie-breaker on for every client. */
  readonly keepActivePartitionTieBreaker: boolean;
  readonly tieBreaker?: TieBreaker;
  readonly clients: readonly QnetdClient[];
}

/** Parse `corosync-qnetd-tool -l` / `-l -v` / `-l -c <cluster>`. Empty output means no clusters. */
export function parseQnetdList(
  text: string,
  command = 'corosync-qnetd-tool -l',
): Result<{ clusters: readonly QnetdCluster[] }> {
  if (text.trim() === '') {
    return { ok: true, value: { clusters: [] } };
  }
  return parseWith(command, text, (all) => {
    const clusters: {
      name: string;
      algorithmName?: string;
      algorithm?: QnetdCluster['algorithm'];
      keepActivePartitionTieBreaker: boolean;
      tieBreaker?: TieBreaker;
      clients: Record<string, unknown>[];
    }[] = [];
    for (const line of all) {
      if (line.text.trim() === '') {
        continue;
      }
      const t = line.text.trim();
      let m: RegExpExecArray | null;
      if ((m = /^Cluster "(.*)":$/.exec(t))) {
        clusters.push({ name: m[1] as string, keepActivePartitionTieBreaker: false, clients: [] });
        continue;
      }
      const cluster = clusters[clusters.length - 1];
      if (!cluster) {
        fail(line, `expected 'Cluster "<name>":', got "${t}"`);
      }
      if ((m = /^Node ID (\d+):$/.exec(t))) {
        cluster.clients.push({ nodeid: nodeId(m[1] as string, line) });
        continue;
      }
      const kv = /^([A-Za-z][A-Za-z -]*?):\s*(.*)$/.exec(t);
      if (!kv) {
        fail(line, `expected "Key: value", got "${t}"`);
      }
      const key = kv[1] as string;
      const value = (kv[2] as string).trim();
      const client = cluster.clients[cluster.clients.length - 1];
      if (!client) {
        if (key === 'Algorithm') {
          const a = /^(.*?)( \(KAP Tie-breaker\))?$/.exec(value) as RegExpExecArray;
          cluster.algorithmName = a[1] as string;
          const algorithm = ALGORITHMS[a[1] as string];
          if (algorithm) {
            cluster.algorithm = algorithm;
          }
          cluster.keepActivePartitionTieBreaker = a[2] !== undefined;
        } else if (key === 'Tie-breaker') {
          cluster.tieBreaker = tieBreaker(value, line);
        } else {
          fail(line, `unexpected cluster line "${t}"`);
        }
        continue;
      }
      clientField(client, key, value, line);
    }
    return {
      clusters: clusters.map((c) => ({
        ...c,
        clients: c.clients.map((cl) => {
          if (cl.clientAddress === undefined) {
            fail(undefined, `node ${String(cl.nodeid)} of cluster "${c.name}" has no "Client address:"`);
          }
          return cl as unknown as QnetdClient;
        }),
      })),
    };
  });
}

const ALGORITHMS: Record<string, QnetdCluster['algorithm']> = {
  'Fifty-Fifty split': 'ffsplit',
  LMS: 'lms',
  '2 Node LMS': '2nodelms',
  Test: 'test',
};

function tieBreaker(value: string, line: ToolLine): TieBreaker {
  if (value === 'Node with lowest node ID') {
    return 'lowest';
  }
  if (value === 'Node with highest node ID') {
    return 'highest';
  }
  const m = /^Node with node ID (\d+)$/.exec(value);
  if (!m) {
    fail(line, `unknown tie-breaker "${value}"`);
  }
  return nodeId(m[1] as string, line);
}

function nodeList(value: string, line: ToolLine): number[] {
  if (value === '') {
    return [];
  }
  return value.split(',').map((part) => {
    // `<nodeid>` or `<nodeid> (<datacenter id>)`
    const m = /^\s*(\d+)(?: \(\d+\))?\s*$/.exec(part);
    if (!m) {
      fail(line, `expected a node list like "1, 2", got "${value}"`);
    }
    return Number(m[1]);
  });
}

function clientField(client: Record<string, unknown>, key: string, value: string, line: ToolLine): void {
  switch (key) {
    case 'Client address': {
      client.clientAddress = value;
      const m = /^(.*):(\d+)$/.exec(value);
      const host = m ? (m[1] as string) : value;
      client.clientIp = host.replace(/^::ffff:/i, '').replace(/^\[(.*)\]$/, '$1');
      if (m) {
        client.clientPort = Number(m[2]);
      }
      return;
    }
    case 'HB interval': {
      const m = /^(\d+)ms$/.exec(value);
      if (!m) {
        fail(line, `HB interval should be "<n>ms", got "${value}"`);
      }
      client.hbIntervalMs = Number(m[1]);
      return;
    }
    case 'Configuration version':
      client.configVersion = parseCount(value, 'Configuration version', line);
      return;
    case 'Configured node list':
      client.configuredNodes = nodeList(value, line);
      return;
    case 'Membership node list':
      client.membershipNodes = nodeList(value, line);
      return;
    case 'Ring ID':
      client.ringId = value;
      return;
    case 'Heuristics':
      client.heuristics = value;
      return;
    case 'TLS active':
      client.tlsActive = value.startsWith('Yes');
      client.tlsClientCertificateVerified = value.includes('(client certificate verified)');
      return;
    case 'Vote': {
      const m = /^(.*?)(?: \((.*)\))?$/.exec(value) as RegExpExecArray;
      client.vote = m[1];
      if (m[2] !== undefined) {
        client.lastAckNackVote = m[2];
      }
      return;
    }
    default:
      fail(line, `unexpected client line "${key}: ${value}"`);
  }
}

export interface QnetdStatus {
  /** `*:5403` as printed. */
  readonly address: string;
  readonly port: number;
  /** `Unsupported`, `Supported`, `Required`. */
  readonly tls: string;
  readonly tlsClientCertificateRequired: boolean;
  readonly connectedClients: number;
  readonly connectedClusters: number;
  readonly maxClients?: number;
  readonly maxSendSize?: number;
  readonly maxReceiveSize?: number;
}

/** Parse `corosync-qnetd-tool -s`. */
export function parseQnetdStatus(text: string, command = 'corosync-qnetd-tool -s'): Result<QnetdStatus> {
  return parseWith(command, text, (all) => {
    const kv = new Map<string, { value: string; line: ToolLine }>();
    for (const line of all) {
      if (line.text.trim() === '') {
        continue;
      }
      const m = /^([A-Za-z][A-Za-z /]*?):\s*(.*)$/.exec(line.text.trim());
      if (!m) {
        fail(line, `expected "Key: value", got "${line.text.trim()}"`);
      }
      kv.set(m[1] as string, { value: (m[2] as string).trim(), line });
    }
    const get = (key: string) => {
      const v = kv.get(key);
      if (!v) {
        fail(all[0], `"${key}:" is missing`);
      }
      return v;
    };
    const addr = get('QNetd address');
    const am = /^(.*):(\d+)$/.exec(addr.value);
    if (!am) {
      fail(addr.line, `QNetd address should be "<host>:<port>", got "${addr.value}"`);
    }
    const tls = get('TLS').value;
    const clients = get('Connected clients');
    const clusters = get('Connected clusters');
    const max = kv.get('Maximum allowed clients');
    const size = kv.get('Maximum send/receive size');
    const sm = size ? /^(\d+)\/(\d+) bytes$/.exec(size.value) : null;
    return {
      address: addr.value,
      port: Number(am[2]),
      tls: tls.replace(/ \(client certificate required\)$/, ''),
      tlsClientCertificateRequired: tls.endsWith('(client certificate required)'),
      connectedClients: parseCount(clients.value, 'Connected clients', clients.line),
      connectedClusters: parseCount(clusters.value, 'Connected clusters', clusters.line),
      ...(max ? { maxClients: parseCount(max.value, 'Maximum allowed clients', max.line) } : {}),
      ...(sm ? { maxSendSize: Number(sm[1]), maxReceiveSize: Number(sm[2]) } : {}),
    };
  });
}

function nodeId(text: string, line: ToolLine): NodeId {
  const n = parseCount(text, 'node id', line);
  if (!isNodeId(n)) {
    fail(line, `node id should be 1..4294967295, got ${text}`);
  }
  return n;
}
