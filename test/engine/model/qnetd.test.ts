import { describe, expect, it } from 'vitest';
import { nodeId, qnetdDecision, type NodeId, type QdeviceConfig, type QnetdPartition } from '../../../engine/model';

const ids = (...n: number[]): NodeId[] => n.map(nodeId);
const part = (nodes: number[], reachesQnetd = true): QnetdPartition => ({ nodeids: ids(...nodes), reachesQnetd });
const device = (algorithm: 'ffsplit' | 'lms', tieBreaker: QdeviceConfig['tieBreaker'] = 'lowest'): QdeviceConfig => ({
  model: 'net',
  host: 'q',
  algorithm,
  tieBreaker,
  votes: 1,
});

describe('qnetdDecision — ffsplit', () => {
  it('grants the vote to the partition with more than half the nodes', () => {
    expect(qnetdDecision(device('ffsplit'), ids(1, 2, 3, 4), [part([4]), part([1, 2, 3])]).granted).toEqual([
      false,
      true,
    ]);
  });

  it('grants nothing to a minority, even when it is the only one reaching qnetd', () => {
    expect(qnetdDecision(device('ffsplit'), ids(1, 2, 3, 4), [part([1]), part([2, 3, 4], false)]).granted).toEqual([
      false,
      false,
    ]);
  });

  it('never treats an odd cluster as a 50:50 split', () => {
    expect(
      qnetdDecision(device('ffsplit'), ids(1, 2, 3, 4, 5), [part([1, 2]), part([3]), part([4, 5], false)]).granted,
    ).toEqual([false, false, false]);
  });

  it.each([
    ['lowest', [true, false]],
    ['highest', [false, true]],
    [nodeId(3), [false, true]],
  ] as [QdeviceConfig['tieBreaker'], boolean[]][])('breaks a 50:50 tie with tie_breaker %s', (tb, want) => {
    expect(qnetdDecision(device('ffsplit', tb), ids(1, 2, 3, 4), [part([1, 2]), part([3, 4])]).granted).toEqual(want);
  });

  it('gives a half the vote when the other half cannot reach qnetd', () => {
    expect(qnetdDecision(device('ffsplit'), ids(1, 2, 3, 4), [part([1, 2], false), part([3, 4])]).granted).toEqual([
      false,
      true,
    ]);
  });
});

describe('qnetdDecision — lms', () => {
  it('grants the only partition that reaches qnetd, however small', () => {
    expect(qnetdDecision(device('lms'), ids(1, 2, 3), [part([1, 2], false), part([3])]).granted).toEqual([false, true]);
  });

  it('grants the largest of several connected partitions', () => {
    expect(qnetdDecision(device('lms'), ids(1, 2, 3, 4, 5), [part([1]), part([2, 3, 4, 5])]).granted).toEqual([
      false,
      true,
    ]);
  });

  it('on a tie picks the partition holding the lowest node id connected to qnetd', () => {
    expect(qnetdDecision(device('lms'), ids(1, 2, 3, 4), [part([3, 4]), part([1, 2])]).granted).toEqual([false, true]);
    expect(qnetdDecision(device('lms', 'highest'), ids(1, 2, 3, 4), [part([3, 4]), part([1, 2])]).granted).toEqual([
      true,
      false,
    ]);
  });

  it('on a tie follows the lowest connected node even into a smaller partition (as qnetd-algo-lms.c does)', () => {
    expect(qnetdDecision(device('lms'), ids(1, 2, 3, 4, 5), [part([1]), part([2, 3]), part([4, 5])]).granted).toEqual([
      true,
      false,
      false,
    ]);
  });
});
