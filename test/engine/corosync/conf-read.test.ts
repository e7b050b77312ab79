import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConf, readConf, toVotequorumConfig, type CorosyncConfig } from '../../../engine/corosync';

const samples = join(dirname(fileURLToPath(import.meta.url)), 'samples');
function read(textOrSample: string): CorosyncConfig {
  const text = textOrSample.includes('{')
    ? textOrSample
    : readFileSync(join(samples, textOrSample, 'input.conf'), 'utf8');
  const r = parseConf(text);
  if (!r.ok) {
    throw new Error(r.error.message);
  }
  return readConf(r.value);
}

describe('readConf', () => {
  it('reads totem, interfaces, nodes with links and logging from a hand-kept file', () => {
    const c = read('tabs-two-node-two-links');
    expect(c.totem).toMatchObject({
      clusterName: 'tabby',
      configVersion: 41n,
      transport: 'knet',
      cryptoCipher: 'aes256',
      cryptoHash: 'sha256',
      token: 3000,
      tokenCoefficient: 650,
    });
    expect(c.totem.interfaces.map((i) => ({ l: i.linknumber, p: i.knetLinkPriority, t: i.knetTransport }))).toEqual([
      { l: 0, p: 10, t: 'udp' },
      { l: 1, p: 20, t: undefined },
    ]);
    expect(c.nodes.map((n) => [n.name, n.nodeid, n.links])).toEqual([
      ['alpha', 1, { 0: '198.18.0.1', 1: '198.19.0.1' }],
      ['beta', 2, { 0: '198.18.0.2', 1: '198.19.0.2' }],
    ]);
    expect(c.quorum.twoNode).toBe(true);
    expect(c.logging.loggerSubsys).toEqual([{ subsys: 'QUORUM', debug: 'off', extra: {}, extraSections: [] }]);
  });

  it('keeps unknown sections and keys in extra, never drops them', () => {
    const c = read('unknown-sections-kept');
    expect(c.extraSections.map((s) => s.name)).toEqual(['system', 'resources', 'uidgid']);
    expect(c.extraSections[1]!.sections[0]!.sections[0]!.values).toEqual({ recovery: 'none' });
    expect(c.nodes.map((n) => n.extra.site)).toEqual(['rack-a', 'rack-b', 'rack-c']);
    expect(c.nodelistExtra.extra).toEqual({ local_extra: 'kept' });
    expect(c.totem.extra).toEqual({ knet_pmtud_interval: '30', knet_compression_model: 'zlib' });
    expect(c.quorum.extra).toEqual({ expected_votes_tracking: '0' });
  });

  it('treats ring8_addr and up as unknown keys, and a missing linknumber as link 0', () => {
    const c = read('problem-links');
    expect(c.nodes[2]!.extra).toEqual({ ring8_addr: '198.18.1.73' });
    expect(read('totem {\n  interface {\n    bindnetaddr: 198.18.0.0\n  }\n}\n').totem.interfaces[0]!.linknumber).toBe(
      0,
    );
  });

  it('reads values that do not parse as absent (validateConf reports them)', () => {
    const c = read('problem-values');
    expect(c.totem.token).toBeUndefined();
    expect(c.totem.configVersion).toBeUndefined();
    expect(c.quorum.twoNode).toBeUndefined();
    expect(c.nodes[0]!.nodeid).toBeUndefined();
  });
});

describe('toVotequorumConfig', () => {
  it('turns a QDevice config into the model', () => {
    const v = toVotequorumConfig(read('qdevice-ffsplit-four-nodes'));
    expect(v.nodes.map((n) => [n.name, n.nodeid, n.votes])).toEqual([
      ['q1', 1, 1],
      ['q2', 2, 1],
      ['q3', 3, 1],
      ['q4', 4, 1],
    ]);
    expect(v.qdevice).toEqual({
      model: 'net',
      host: '198.18.0.250',
      algorithm: 'ffsplit',
      tieBreaker: 'lowest',
      votes: 1,
      tls: 'on',
    });
    expect(v.twoNode).toBe(false);
  });

  it('reads two_node, wait_for_all, lms window and auto_tie_breaker_node lists', () => {
    const v = toVotequorumConfig(
      read(
        'nodelist {\n  node {\n    name: a\n    nodeid: 1\n    quorum_votes: 2\n    ring0_addr: 198.18.0.1\n  }\n  node {\n    ring0_addr: 198.18.0.2\n    nodeid: 7\n  }\n}\n' +
          'quorum {\n  provider: corosync_votequorum\n  two_node: 1\n  wait_for_all: 0\n  last_man_standing: 1\n  last_man_standing_window: 20000\n  auto_tie_breaker: 1\n  auto_tie_breaker_node: 7 1\n  expected_votes: 3\n}\n',
      ),
    );
    expect(v).toEqual({
      nodes: [
        { name: 'a', nodeid: 1, votes: 2 },
        { name: '198.18.0.2', nodeid: 7, votes: 1 },
      ],
      expectedVotes: 3,
      twoNode: true,
      waitForAll: false,
      lastManStanding: true,
      lastManStandingWindowMs: 20000,
      autoTieBreaker: true,
      autoTieBreakerNode: [7, 1],
    });
  });

  it('leaves out nodes without a valid nodeid and a device without model net', () => {
    const v = toVotequorumConfig(
      read(
        'nodelist {\n  node {\n    name: a\n    ring0_addr: 198.18.0.1\n  }\n}\nquorum {\n  device {\n    net {\n      host: 198.18.0.9\n    }\n  }\n}\n',
      ),
    );
    expect(v.nodes).toEqual([]);
    expect(v.qdevice).toBeUndefined();
  });
});
