import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLinkStatus } from '../../../engine/agent/link-status';
import type { QuorumWatchEvent } from '../../../engine/agent/protocol';
import { parseQuorumStatus } from '../../../engine/agent/quorum-status';
import { createEventHub } from '../../../engine/api/event-hub';
import type { MachinesService } from '../../../engine/api/service-machines';
import { createWatchService, type WatchService } from '../../../engine/api/service-watch';
import { saveCluster } from '../../../engine/ops/registry.fs';

// Real corosync 3.1.7 captures from the lab (node1's and node3's views).
const capture = (dir: string): string =>
  readFileSync(join(import.meta.dirname, '..', 'corosync', 'tool-samples', dir, 'output.txt'), 'utf8');
const event = (quorumtool: string, cfgtool: string): QuorumWatchEvent => ({
  kind: 'quorum',
  at: 1,
  running: true,
  status: parseQuorumStatus(capture(quorumtool)),
  links: parseLinkStatus(capture(cfgtool)),
});

let home: string | undefined;
let service: WatchService | undefined;
afterEach(() => {
  service?.dispose();
  if (home) {
    rmSync(home, { recursive: true, force: true });
  }
  home = undefined;
});

describe('cluster status link health', () => {
  it("fills links per pair from the agents' link reports, a cut node down on the survivor", async () => {
    home = mkdtempSync(join(tmpdir(), 'quorate-watch-links-'));
    await saveCluster(
      { name: 'lab', provider: 'corosync', nodes: { node1: '198.18.3.1', node2: '198.18.3.2', node3: '198.18.3.3' } },
      home,
    );
    const feeds = new Map<string, (e: QuorumWatchEvent) => void>();
    service = createWatchService({
      home,
      events: createEventHub(),
      machines: {} as MachinesService,
      now: () => 1000,
      setTimer: () => () => {},
      openStream: async (machine, onEvent) => {
        feeds.set(machine, onEvent);
        return { ok: true, value: { done: new Promise(() => {}), close: () => {} } };
      },
    });
    const empty = await service.clusterStatus({ cluster: 'lab' });
    expect(empty.ok && empty.value.links).toEqual([]);

    feeds.get('198.18.3.1')?.(event('quorumtool-s-three-nodes-quorate', 'cfgtool-s-three-nodes'));
    const healthy = await service.clusterStatus({ cluster: 'lab' });
    expect(
      healthy.ok && healthy.value.links.map((l) => `${l.a}->${l.b}:${l.linknumber}:${l.state}:${l.rttMs}`),
    ).toEqual(['node1->node2:0:up:null', 'node1->node3:0:up:null']);

    // node3 cut: node1 no longer has it in its membership, but still names it from before.
    feeds.get('198.18.3.1')?.(event('quorumtool-s-two-of-three-quorate', 'cfgtool-s-peer-cut'));
    const cut = await service.clusterStatus({ cluster: 'lab' });
    expect(cut.ok && cut.value.links.map((l) => `${l.a}->${l.b}:${l.state}`)).toEqual([
      'node1->node2:up',
      'node1->node3:down',
    ]);
  });
});
