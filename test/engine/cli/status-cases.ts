/** The `quorate status` cases whose output is pinned byte for byte (status-command.test.ts). */
import { saveCluster } from '../../../engine/ops/registry.fs';
import type { MachineAnswer } from './status-world';
import { statusConf, toolSample } from './status-world';

export interface StatusCase {
  readonly cluster: string;
  readonly record: { nodes: Record<string, string>; qnetd?: { host: string; machine: string } };
  readonly machines: Record<string, MachineAnswer>;
}

const three = statusConf('lab', 3, false);
const duo = statusConf('duo', 2, true);

export const STATUS_CASES: Record<string, StatusCase> = {
  'three quorate': {
    cluster: 'lab',
    record: { nodes: { node1: 'm1', node2: 'm2', node3: 'm3' } },
    machines: {
      m1: { conf: three, quorumtool: toolSample('quorumtool-s-three-nodes-quorate') },
      m2: { conf: three, quorumtool: toolSample('quorumtool-s-three-nodes-quorate') },
      m3: { conf: three, quorumtool: toolSample('quorumtool-s-three-nodes-quorate') },
    },
  },
  'node3 offline, read from m2 (m1 unreachable)': {
    cluster: 'lab',
    record: { nodes: { node1: 'm1', node2: 'm2', node3: 'm3' } },
    machines: {
      m1: { conf: null, quorumtool: null },
      m2: { conf: three, quorumtool: toolSample('quorumtool-s-two-of-three-quorate') },
      m3: { conf: three, quorumtool: null },
    },
  },
  'QDevice voting': {
    cluster: 'duo',
    record: { nodes: { node1: 'm1', node2: 'm2' }, qnetd: { host: '198.18.9.9', machine: 'q' } },
    machines: {
      m1: { conf: duo, quorumtool: toolSample('quorumtool-s-qdevice') },
      m2: { conf: duo, quorumtool: toolSample('quorumtool-s-qdevice') },
    },
  },
  'QDevice not registered on the node read': {
    cluster: 'duo',
    record: { nodes: { node1: 'm1', node2: 'm2' }, qnetd: { host: '198.18.9.9', machine: 'q' } },
    machines: {
      m1: {
        conf: duo,
        quorumtool: toolSample('quorumtool-s-qdevice-peer-unregistered').replace('A,V,NMW node1', '     NR node1'),
      },
      m2: { conf: duo, quorumtool: null },
    },
  },
  inquorate: {
    cluster: 'lab',
    record: { nodes: { node1: 'm1', node2: 'm2', node3: 'm3' } },
    machines: {
      m1: { conf: three, quorumtool: toolSample('quorumtool-s-cut-node-inquorate') },
      m2: { conf: null, quorumtool: null },
      m3: { conf: null, quorumtool: null },
    },
  },
  'corosync answers nowhere': {
    cluster: 'lab',
    record: { nodes: { node1: 'm1', node2: 'm2', node3: 'm3' } },
    machines: {
      m1: { conf: three, quorumtool: null },
      m2: { conf: three, quorumtool: null },
      m3: { conf: null, quorumtool: null },
    },
  },
  'no machine reachable': {
    cluster: 'lab',
    record: { nodes: { node1: 'm1', node2: 'm2', node3: 'm3' } },
    machines: {},
  },
  'unknown cluster': {
    cluster: 'nope',
    record: { nodes: {} },
    machines: {},
  },
};

export async function saveCase(home: string, c: StatusCase): Promise<void> {
  if (c.cluster !== 'nope') {
    await saveCluster({ name: c.cluster, provider: 'corosync', ...c.record }, home);
  }
}
