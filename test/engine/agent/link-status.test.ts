import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseConfigVersion,
  parseLinkStatus,
  WatchChangeFilter,
  type WatchObservation,
} from '../../../engine/agent/link-status';
import { parseQuorumStatus } from '../../../engine/agent/quorum-status';

// Real corosync 3.1.7 captures from the lab (three nodes, link 0 on 198.18.3.0/24).
const capture = (dir: string): string =>
  readFileSync(join(import.meta.dirname, '..', 'corosync', 'tool-samples', dir, 'output.txt'), 'utf8');

describe('parseLinkStatus (corosync-cfgtool -s)', () => {
  it('lists every peer on link 0 as connected in a healthy cluster, without the local node', () => {
    expect(parseLinkStatus(capture('cfgtool-s-three-nodes'))).toEqual({
      localNodeId: 1,
      links: [
        {
          linknumber: 0,
          address: '198.18.3.1',
          peers: [
            { nodeid: 2, connected: true },
            { nodeid: 3, connected: true },
          ],
        },
      ],
    });
  });

  it('keeps a cut peer as disconnected instead of dropping it', () => {
    expect(parseLinkStatus(capture('cfgtool-s-peer-cut'))?.links[0]?.peers).toEqual([
      { nodeid: 2, connected: true },
      { nodeid: 3, connected: false },
    ]);
  });

  it('shows the cut node losing every peer', () => {
    const s = parseLinkStatus(capture('cfgtool-s-cut-node'));
    expect(s?.localNodeId).toBe(3);
    expect(s?.links[0]?.peers).toEqual([
      { nodeid: 1, connected: false },
      { nodeid: 2, connected: false },
    ]);
  });

  it('names no peers from brief output, which has no node ids', () => {
    expect(parseLinkStatus(capture('cfgtool-s-b-three-nodes'))?.links[0]?.peers).toEqual([]);
  });

  it('returns null when corosync did not answer', () => {
    expect(parseLinkStatus('')).toBeNull();
    expect(parseLinkStatus('Could not initialize corosync configuration API error 2\n')).toBeNull();
  });
});

describe('WatchChangeFilter', () => {
  const quorate = parseQuorumStatus(capture('quorumtool-s-three-nodes-quorate'));
  const healthy = parseLinkStatus(capture('cfgtool-s-three-nodes'));
  const peerCut = parseLinkStatus(capture('cfgtool-s-peer-cut'));

  it('sends a link change even when quorum did not change, and nothing for an unchanged poll', () => {
    const sent: WatchObservation[] = [];
    const f = new WatchChangeFilter((o) => sent.push(o));
    f.links(healthy);
    f.flush();
    expect(sent).toEqual([]);
    f.quorum({ running: true, status: quorate });
    f.flush();
    f.flush();
    f.links(peerCut);
    f.flush();
    f.links(peerCut);
    f.flush();
    expect(sent.map((o) => o.links?.links[0]?.peers.map((p) => p.connected))).toEqual([
      [true, true],
      [true, false],
    ]);
    expect(sent.every((o) => o.status === quorate)).toBe(true);
  });

  it('drops the last link view when corosync stops answering', () => {
    const sent: WatchObservation[] = [];
    const f = new WatchChangeFilter((o) => sent.push(o));
    f.quorum({ running: true, status: quorate });
    f.links(healthy);
    f.flush();
    f.quorum({ running: false, status: null });
    f.flush();
    expect(sent.map((o) => [o.running, o.links === null])).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it('sends the config again only when the running config version changes', () => {
    const sent: WatchObservation[] = [];
    const f = new WatchChangeFilter((o) => sent.push(o));
    f.quorum({ running: true, status: quorate });
    f.config({ configVersion: 3, corosyncConf: 'totem { config_version: 3 }' });
    f.flush();
    f.config({ configVersion: 3, corosyncConf: 'totem { config_version: 3 }' });
    f.flush();
    f.config({ configVersion: 4, corosyncConf: 'totem { config_version: 4 }' });
    f.flush();
    expect(sent.map((o) => o.config?.configVersion)).toEqual([3, 4]);
  });
});

describe('corosync-cmapctl -g totem.config_version', () => {
  it('reads the running version, and nothing from an error', () => {
    expect(parseConfigVersion('totem.config_version (u64) = 17\n')).toBe(17);
    expect(parseConfigVersion("Can't get key totem.config_version. Error CS_ERR_NOT_EXIST\n")).toBeNull();
    expect(parseConfigVersion('')).toBeNull();
  });
});
