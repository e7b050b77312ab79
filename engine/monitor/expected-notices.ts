/**
 * After the user lowered expected votes to get a partial cluster going (the recovery dialog, `pvecm
 * expected`), corosync raises them again by itself once the missing nodes are back: that is the
 * moment the emergency setting is gone, and the user hears about it.
 */
import type { Notice } from './notices';

export interface ExpectedSeen {
  /** Expected votes corosync reported. */
  readonly expected: number;
  /** The votes of every node in the nodelist at that time. */
  readonly nodeVotes: number;
}

/**
 * The notice for going from `before` to `after`: only when expected votes were below the nodelist's
 * votes (lowered) and now reach that figure again — a node joining (both figures rise) is not it.
 */
export function expectedRestoredNotice(
  cluster: string,
  before: ExpectedSeen | undefined,
  after: ExpectedSeen,
  at: number,
): Notice | null {
  if (!before || before.expected >= before.nodeVotes || after.expected < before.nodeVotes) {
    return null;
  }
  return {
    kind: 'expected-restored',
    cluster,
    at,
    seenAt: at,
    severity: 'info',
    title: `${cluster}: expected votes restored to ${after.expected}`,
    body: `Expected votes had been lowered to ${before.expected}; with the missing nodes back, corosync raised them to ${after.expected} again. The emergency setting is gone.`,
    guidance: [],
  };
}
