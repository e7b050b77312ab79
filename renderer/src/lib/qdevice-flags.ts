/**
 * corosync-quorumtool's QDevice flags in plain words. The letters are corosync's
 * (votequorum_qdevice flags, `corosync-quorumtool -s`): A/NA alive, V/NV vote, MW/NMW master wins,
 * NR not registered.
 */
export interface FlagMeaning {
  readonly flag: string;
  readonly label: string;
  readonly explanation: string;
  /** Whether this flag is the healthy state. */
  readonly good: boolean;
}

const MEANINGS: Readonly<Record<string, Omit<FlagMeaning, 'flag'>>> = {
  A: { label: 'Alive', explanation: 'The QDevice daemon on this node is running and talks to corosync.', good: true },
  NA: {
    label: 'Not alive',
    explanation: 'The QDevice daemon on this node is not running or not connected to corosync.',
    good: false,
  },
  V: { label: 'Vote', explanation: 'The QNetd server gives this partition the QDevice vote.', good: true },
  NV: {
    label: 'No vote',
    explanation: 'The QNetd server does not give this partition its vote (unreachable, or it chose the other side).',
    good: false,
  },
  MW: {
    label: 'Master wins',
    explanation: 'Master-wins mode is on: the node with this flag decides on its own. Unusual for QDevice.',
    good: true,
  },
  NMW: { label: 'Not master wins', explanation: 'Master-wins mode is off, the normal setting.', good: true },
  NR: { label: 'Not registered', explanation: 'No QDevice is registered with votequorum on this node.', good: false },
};

/** Splits `A,V,NMW` (or `A V NMW`) and explains each flag; unknown flags are kept and marked unknown. */
export function explainQdeviceFlags(flags: string): FlagMeaning[] {
  return flags
    .split(/[\s,]+/)
    .filter((f) => f.length > 0)
    .map((flag) => {
      const m = MEANINGS[flag.toUpperCase()];
      return m
        ? { flag, ...m }
        : {
            flag,
            label: 'Unknown flag',
            explanation: `corosync reported "${flag}", which Quorate does not know.`,
            good: false,
          };
    });
}

/** True when the flags say the QDevice is alive and voting. */
export function qdeviceVoting(flags: string): boolean {
  const set = new Set(flags.split(/[\s,]+/).map((f) => f.toUpperCase()));
  return set.has('A') && set.has('V');
}
