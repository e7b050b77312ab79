import { describe, expect, it } from 'vitest';
import { parseQuorumStatus } from '../../../engine/agent/quorum-status';
import { viewFromQuorumEvent } from '../../../engine/monitor/agent-views';

// As corosync-quorumtool -s prints it on node a of a 2-node cluster with a QDevice (corosync 3.1.7).
const withQdevice = (flags: string) => `Quorum information
------------------
Date:             Sun Nov 22 03:00:00 2026
Quorum provider:  corosync_votequorum
Nodes:            2
Node ID:          1
Ring ID:          1.9
Quorate:          Yes

Votequorum information
----------------------
Expected votes:   3
Highest expected: 3
Total votes:      3
Quorum:           2
Flags:            Quorate Qdevice

Membership information
----------------------
    Nodeid      Votes    Qdevice Name
         1          1    ${flags} a (local)
         2          1    ${flags} b
         0          1            Qdevice
`;

describe('agent quorum events as monitor views', () => {
  it("reads members and the local node's QDevice flags", () => {
    const status = parseQuorumStatus(withQdevice('A,V,NMW'));
    expect(status).not.toBeNull();
    expect(viewFromQuorumEvent('a', { kind: 'quorum', at: 1, running: true, status })).toEqual({
      reporter: 'a',
      quorate: true,
      members: ['a', 'b'],
      ringId: '1.9',
      qdevice: { alive: true, vote: true },
    });
  });

  it('sees a lost QDevice vote in NV', () => {
    const status = parseQuorumStatus(withQdevice('A,NV,NMW'));
    expect(viewFromQuorumEvent('a', { kind: 'quorum', at: 1, running: true, status }).qdevice).toEqual({
      alive: true,
      vote: false,
    });
  });

  it('treats corosync not running as a node in no membership that stopped', () => {
    expect(viewFromQuorumEvent('b', { kind: 'quorum', at: 1, running: false, status: null })).toEqual({
      reporter: 'b',
      quorate: false,
      members: [],
      stopped: true,
    });
    // Running, but no status yet (corosync starting): in no membership, and not stopped either.
    expect(viewFromQuorumEvent('b', { kind: 'quorum', at: 1, running: true, status: null })).toEqual({
      reporter: 'b',
      quorate: false,
      members: [],
    });
  });
});
