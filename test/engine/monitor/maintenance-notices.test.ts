import { describe, expect, it } from 'vitest';
import { maintenanceNotices } from '../../../engine/monitor/maintenance-notices';
import type { Notice } from '../../../engine/monitor';

const notice = (kind: Notice['kind'], node?: string): Notice => ({
  kind,
  cluster: 'lab',
  at: 1,
  seenAt: 1,
  severity: kind === 'quorum-lost' ? 'critical' : 'warning',
  title: kind,
  body: '',
  guidance: ['check it'],
  ...(node ? { node } : {}),
});

describe('maintenance notices', () => {
  it('says a node in maintenance is down for maintenance instead of lost', () => {
    const [n] = maintenanceNotices([notice('node-lost', 'node2')], (x) => x === 'node2');
    expect(n).toMatchObject({ kind: 'node-left', severity: 'info', title: 'lab: node2 is down for maintenance' });
  });

  it('keeps alarms for other nodes and always keeps quorum loss', () => {
    const out = maintenanceNotices(
      [notice('quorum-lost'), notice('node-lost', 'node3'), notice('node-left', 'node2')],
      (x) => x === 'node2',
    );
    expect(out.map((n) => [n.kind, n.severity, n.title])).toEqual([
      ['quorum-lost', 'critical', 'quorum-lost'],
      ['node-lost', 'warning', 'node-lost'],
      ['node-left', 'info', 'lab: node2 is down for maintenance'],
    ]);
  });
});
