import { describe, expect, it } from 'vitest';
import { failureTable } from '../../../engine/model';

describe('failureTable', () => {
  it.each([
    [1, 0],
    [2, 0],
    [3, 1],
    [4, 1],
    [5, 2],
    [6, 2],
    [7, 3],
    [8, 3],
  ])('%i nodes without QDevice can lose %i (the Proxmox table)', (nodes, canLose) => {
    expect(failureTable(nodes).canLose).toBe(canLose);
  });

  it.each([
    // even: ffsplit, 1 vote — survivors holding half the nodes keep quorum with the QDevice vote
    [2, 1],
    [4, 2],
    [6, 3],
    // odd: lms with N−1 votes — one survivor that reaches qnetd is enough
    [3, 2],
    [5, 4],
  ])('%i nodes with a QDevice can lose %i', (nodes, canLose) => {
    expect(failureTable(nodes, { qdevice: true }).canLose).toBe(canLose);
  });

  it('has one row per failure count, quorate until canLose and not after', () => {
    const t = failureTable(5);
    expect(t.rows.map((r) => r.failed)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(t.rows.map((r) => r.quorate)).toEqual([true, true, true, false, false, false]);
  });

  it('never calls a cluster with every node failed quorate', () => {
    expect(failureTable(3, { qdevice: true }).rows.at(-1)).toEqual({ failed: 3, quorate: false });
  });

  it('refuses a node count that is not a positive integer', () => {
    expect(() => failureTable(0)).toThrow(RangeError);
    expect(() => failureTable(2.5)).toThrow(RangeError);
  });
});
