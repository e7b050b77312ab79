/** The model room's public face: cluster types, votequorum arithmetic, partition evaluator, failure table. */
export * from './cluster';
export {
  effectiveVotequorum,
  expectedVotes,
  highestNodeId,
  lowestNodeId,
  nodelistVotes,
  qdeviceVotes,
  quorumFor,
  waitForAll,
} from './votequorum';
export type { EffectiveVotequorum } from './votequorum';
export { checkPartitionInput, evaluatePartitions } from './partitions';
export type { LiveMembership, PartitionInput, PartitionVerdict } from './partitions';
export { failureTable, tableConfig } from './failure-table';
export { canLoseFor, canLoseNow, loweredExpectedSummary, qdeviceVotesFor, quorumSummary } from './summary';
export type { LiveVotes, QuorumSummary } from './summary';
export type { FailureTable } from './failure-table';
export { qnetdDecision } from './qnetd';
export type { QnetdDecision, QnetdPartition } from './qnetd';
export { checkWhatIf, whatIf } from './whatif';
export type { LiveQuorum, QuorumFigures, WhatIfAnswer, WhatIfDown } from './whatif';
export { quorumWait } from './cold-start';
export type { QuorumWait } from './cold-start';
