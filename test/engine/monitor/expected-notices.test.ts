import { describe, expect, it } from 'vitest';
import { expectedRestoredNotice } from '../../../engine/monitor';

describe('expected votes restored', () => {
  it('tells when corosync raises lowered expected votes back to the nodelist total', () => {
    const n = expectedRestoredNotice('lab', { expected: 2, nodeVotes: 3 }, { expected: 3, nodeVotes: 3 }, 5);
    expect(n).toMatchObject({
      kind: 'expected-restored',
      severity: 'info',
      title: 'lab: expected votes restored to 3',
    });
  });

  it('says nothing while they stay lowered, on a normal cluster, or when a node joins', () => {
    expect(expectedRestoredNotice('lab', { expected: 2, nodeVotes: 3 }, { expected: 2, nodeVotes: 3 }, 5)).toBeNull();
    expect(expectedRestoredNotice('lab', { expected: 3, nodeVotes: 3 }, { expected: 3, nodeVotes: 3 }, 5)).toBeNull();
    expect(expectedRestoredNotice('lab', { expected: 3, nodeVotes: 3 }, { expected: 4, nodeVotes: 4 }, 5)).toBeNull();
    expect(expectedRestoredNotice('lab', undefined, { expected: 3, nodeVotes: 3 }, 5)).toBeNull();
  });
});
