import { describe, expect, it } from 'vitest';
import {
  checkConfText,
  parseConf,
  readConf,
  renderNewConf,
  toVotequorumConfig,
  type ConfProblem,
} from '../../../engine/corosync';
import { unwrap } from '../../../engine/result';

interface Shape {
  nodes?: number;
  votes?: number[];
  quorum?: string;
  device?: string;
  clusterName?: string;
}

/** A valid knet cluster file, with extra quorum lines and an optional quorum.device body. */
function file({ nodes = 3, votes = [], quorum = '', device, clusterName = 'lab' }: Shape): string {
  const nodeBlocks = Array.from(
    { length: nodes },
    (_, i) =>
      `  node {\n    name: n${i + 1}\n    nodeid: ${i + 1}\n    quorum_votes: ${votes[i] ?? 1}\n    ring0_addr: 198.18.0.${i + 1}\n  }\n`,
  ).join('');
  const dev = device === undefined ? '' : `  device {\n${device}  }\n`;
  return `totem {\n  version: 2\n  cluster_name: ${clusterName}\n  config_version: 1\n  crypto_cipher: none\n  crypto_hash: none\n}\nnodelist {\n${nodeBlocks}}\nquorum {\n  provider: corosync_votequorum\n${quorum}${dev}}\n`;
}

const net = (algorithm: string, votes?: number): string =>
  `${votes === undefined ? '' : `    votes: ${votes}\n`}    model: net\n    net {\n      host: 198.18.0.250\n      algorithm: ${algorithm}\n    }\n`;
const codes = (ps: ConfProblem[], severity: ConfProblem['severity'] = 'error'): string[] =>
  ps.filter((p) => p.severity === severity).map((p) => p.code);

describe('validateConf: quorum rules', () => {
  it('accepts plain 2- to 9-node clusters', () => {
    for (let n = 2; n <= 9; n++) {
      expect(checkConfText(file({ nodes: n }))).toEqual([]);
    }
  });

  it('refuses two_node with other than 2 nodes, accepts it with 2', () => {
    expect(codes(checkConfText(file({ nodes: 2, quorum: '  two_node: 1\n' })))).toEqual([]);
    // corosync starts with it (it only implies wait_for_all), so it is a warning, not an error.
    expect(codes(checkConfText(file({ nodes: 3, quorum: '  two_node: 1\n' })))).toEqual([]);
    expect(codes(checkConfText(file({ nodes: 3, quorum: '  two_node: 1\n' })), 'warning')).toEqual([
      'corosync.two-node',
    ]);
    expect(codes(checkConfText(file({ nodes: 3, quorum: '  two_node: 0\n' })))).toEqual([]);
  });

  it('ffsplit: 1 vote for an even node count is right; other votes or uneven node votes are refused', () => {
    expect(checkConfText(file({ nodes: 4, device: net('ffsplit', 1) }))).toEqual([]);
    // corosync-qdevice reads quorum.device.votes itself: a missing key is refused for any node count.
    expect(codes(checkConfText(file({ nodes: 2, device: net('ffsplit') })))).toEqual(['corosync.qdevice-votes']);
    expect(codes(checkConfText(file({ nodes: 4, device: net('ffsplit', 2) })))).toEqual(['corosync.qdevice-votes']);
    expect(codes(checkConfText(file({ nodes: 4, device: net('ffsplit') })))).toEqual(['corosync.qdevice-votes']);
    expect(codes(checkConfText(file({ nodes: 4, votes: [2, 1, 1, 1], device: net('ffsplit', 1) })))).toEqual([
      'corosync.qdevice-ffsplit-votes',
    ]);
    expect(codes(checkConfText(file({ nodes: 3, device: net('ffsplit', 1) })), 'warning')).toEqual([
      'corosync.qdevice-ffsplit-odd',
    ]);
  });

  it('lms: the default (node votes − 1) is right, anything else is refused', () => {
    expect(checkConfText(file({ nodes: 3, device: net('lms') }))).toEqual([]);
    expect(checkConfText(file({ nodes: 5, device: net('lms', 4) }))).toEqual([]);
    // corosync-qdevice's lms does not check the value: a warning.
    expect(codes(checkConfText(file({ nodes: 5, device: net('lms', 1) })))).toEqual([]);
    expect(codes(checkConfText(file({ nodes: 5, device: net('lms', 1) })), 'warning')).toEqual([
      'corosync.qdevice-votes',
    ]);
  });

  it('refuses what votequorum refuses beside a device (votequorum.c)', () => {
    expect(codes(checkConfText(file({ nodes: 2, quorum: '  two_node: 1\n', device: net('ffsplit', 1) })))).toEqual([
      'corosync.qdevice-two-node',
    ]);
    expect(
      codes(checkConfText(file({ nodes: 4, quorum: '  last_man_standing: 1\n', device: net('ffsplit', 1) }))),
    ).toEqual(['corosync.qdevice-lms']);
    expect(
      codes(checkConfText(file({ nodes: 4, quorum: '  auto_tie_breaker: 1\n', device: net('ffsplit', 1) }))),
    ).toEqual(['corosync.qdevice-atb']);
    expect(
      codes(checkConfText(file({ nodes: 4, quorum: '  allow_downscale: 1\n', device: net('ffsplit', 1) }))),
    ).toEqual(['corosync.qdevice-downscale']);
    expect(codes(checkConfText(file({ nodes: 3, quorum: '  expected_votes: 5\n', device: net('lms') })))).toEqual([
      'corosync.qdevice-votes',
    ]);
    expect(codes(checkConfText(file({ nodes: 3, quorum: '  expected_votes: 4\n', device: net('lms', 3) })))).toContain(
      'corosync.qdevice-votes',
    );
    expect(codes(checkConfText(file({ nodes: 3, votes: [2, 1, 1], device: net('lms') })))).toEqual([
      'corosync.qdevice-votes',
    ]);
  });

  it('ignores conflicts while the device has no model (votequorum does not count it) but says the model is missing', () => {
    const ps = checkConfText(
      file({ nodes: 2, quorum: '  two_node: 1\n', device: '    net {\n      host: 198.18.0.250\n    }\n' }),
    );
    expect(codes(ps)).toEqual([]);
    expect(codes(ps, 'warning')).toEqual(['corosync.qdevice-model']);
  });

  it('needs a host, a known tie_breaker and cluster_name for model net', () => {
    expect(codes(checkConfText(file({ nodes: 4, device: '    votes: 1\n    model: net\n' })))).toEqual([
      'corosync.qdevice-host',
    ]);
    const tb = (v: string): string =>
      `    votes: 1\n    model: net\n    net {\n      host: 198.18.0.250\n      tie_breaker: ${v}\n    }\n`;
    expect(codes(checkConfText(file({ nodes: 4, device: tb('highest') })))).toEqual([]);
    expect(codes(checkConfText(file({ nodes: 4, device: tb('3') })))).toEqual([]);
    expect(codes(checkConfText(file({ nodes: 4, device: tb('9') })), 'warning')).toEqual([
      'corosync.qdevice-tie-breaker',
    ]);
    expect(codes(checkConfText(file({ nodes: 4, device: tb('middle') })))).toEqual(['corosync.qdevice-tie-breaker']);
  });

  it('auto_tie_breaker in an odd cluster: ignored without wait_for_all (warning), fatal with last_man_standing', () => {
    expect(codes(checkConfText(file({ nodes: 3, quorum: '  auto_tie_breaker: 1\n' })), 'warning')).toEqual([
      'corosync.atb-odd',
    ]);
    expect(checkConfText(file({ nodes: 3, quorum: '  auto_tie_breaker: 1\n  wait_for_all: 1\n' }))).toEqual([]);
    expect(codes(checkConfText(file({ nodes: 3, quorum: '  auto_tie_breaker: 1\n  last_man_standing: 1\n' })))).toEqual(
      ['corosync.atb-lms-odd'],
    );
    expect(checkConfText(file({ nodes: 4, quorum: '  auto_tie_breaker: 1\n  auto_tie_breaker_node: 4 2\n' }))).toEqual(
      [],
    );
  });
});

describe('validateConf: names and positions', () => {
  it('applies the Proxmox cluster name rule as a warning only (corosync accepts any name)', () => {
    for (const ok of ['a', 'homelab', 'pve-cluster-01', 'A1b2C3d4E5f6G7h']) {
      expect(checkConfText(file({ clusterName: ok }))).toEqual([]);
    }
    for (const bad of ['-lab', 'lab-', 'my_lab', 'lab.example', 'sixteen-chars-xx']) {
      expect(codes(checkConfText(file({ clusterName: bad })))).toEqual([]);
      expect(codes(checkConfText(file({ clusterName: bad })), 'warning')).toEqual(['corosync.cluster-name']);
    }
  });

  it('points at the value: line and column of the offending text', () => {
    const text = file({ nodes: 3 }).replace('nodeid: 2', 'nodeid: 1');
    const p = checkConfText(text).find((x) => x.code === 'corosync.duplicate-nodeid')!;
    const line = text.split('\n')[p.line - 1]!;
    expect(line.slice(p.column - 1)).toBe('1');
    expect(line.trim()).toBe('nodeid: 1');
    expect(p.message).toContain('"n2"');
    expect(p.message).toContain('"n1"');
  });

  it("reports a syntax error as one problem with corosync's reason", () => {
    expect(checkConfText('totem {\n  version 2\n}\n')).toEqual([
      {
        line: 2,
        column: 3,
        severity: 'error',
        code: 'corosync.parse',
        message: 'Line is not opening or closing section or key value',
        hint: expect.any(String) as string,
      },
    ]);
  });

  it('flags a byte order mark, which corosync would read as part of the first section name', () => {
    expect(codes(checkConfText(`\ufeff${file({})}`))).toContain('corosync.bom');
  });

  it('a freshly rendered file for 1 to 16 nodes has no problems', () => {
    for (let n = 1; n <= 16; n++) {
      const nodes = Array.from({ length: n }, (_, i) => ({
        name: `pve${i + 1}`,
        nodeid: i + 1,
        links: { 0: `198.18.0.${i + 1}` },
      }));
      expect(checkConfText(renderNewConf({ clusterName: 'fresh', nodes, twoNode: n === 2 }))).toEqual([]);
    }
  });
});

/** A 2-node file with free totem lines and node blocks, for the transport rules. */
function plain(transport: string, totem = '', nodes?: string): string {
  const n =
    nodes ??
    '  node {\n    name: a\n    nodeid: 1\n    ring0_addr: 198.18.0.1\n  }\n  node {\n    name: b\n    nodeid: 2\n    ring0_addr: 198.18.0.2\n  }\n';
  return `totem {\n  version: 2\n  cluster_name: t\n  config_version: 1\n  transport: ${transport}\n${totem}}\nnodelist {\n${n}}\nquorum {\n  provider: corosync_votequorum\n}\n`;
}

describe('validateConf: what corosync 3.1.7 itself refuses (each checked with corosync -t)', () => {
  const noIds =
    '  node {\n    name: a\n    ring0_addr: 198.18.0.1\n  }\n  node {\n    name: b\n    ring0_addr: 198.18.0.2\n  }\n';

  it('node ids are optional on udp/udpu with IPv4 (derived from the address), required on knet and IPv6', () => {
    expect(codes(checkConfText(plain('udpu', '', noIds)))).toEqual([]);
    expect(codes(checkConfText(plain('udp', '', noIds)))).toEqual([]);
    expect(codes(checkConfText(plain('knet', '', noIds)))).toEqual([
      'corosync.missing-nodeid',
      'corosync.missing-nodeid',
    ]);
    const v6 = noIds.replace('198.18.0.1', 'fd00::1').replace('198.18.0.2', 'fd00::2');
    expect(codes(checkConfText(plain('udpu', '', v6)))).toEqual(['corosync.missing-nodeid', 'corosync.missing-nodeid']);
  });

  it('derives the udpu nodeid corosync generates, so quorum arithmetic works on such a file', () => {
    const conf = readConf(unwrap(parseConf(plain('udpu', '', noIds))));
    // 198.18.0.1 as a 32-bit number; corosync logs "Generated nodeid = 3323068417 for 198.18.0.1".
    expect(toVotequorumConfig(conf).nodes.map((n) => n.nodeid)).toEqual([3323068417, 3323068418]);
    const high = readConf(unwrap(parseConf(plain('udpu', '  clear_node_high_bit: yes\n', noIds))));
    expect(toVotequorumConfig(high).nodes.map((n) => n.nodeid)).toEqual([1175584769, 1175584770]);
    expect(toVotequorumConfig(readConf(unwrap(parseConf(plain('knet', '', noIds))))).nodes).toEqual([]);
  });

  it('knet node ids must be below 65536; udpu ids may be any 32-bit number', () => {
    const big = (id: number): string =>
      `  node {\n    name: a\n    nodeid: ${id}\n    ring0_addr: 198.18.0.1\n  }\n  node {\n    name: b\n    nodeid: 2\n    ring0_addr: 198.18.0.2\n  }\n`;
    expect(codes(checkConfText(plain('knet', '', big(65535))))).toEqual([]);
    expect(codes(checkConfText(plain('knet', '', big(65536))))).toEqual(['corosync.nodeid']);
    expect(codes(checkConfText(plain('udpu', '', big(70000))))).toEqual([]);
  });

  it('crypto is knet-only, and a cipher needs a hash', () => {
    expect(codes(checkConfText(plain('udpu', '  crypto_cipher: aes256\n  crypto_hash: sha256\n')))).toEqual([
      'corosync.crypto-transport',
    ]);
    expect(codes(checkConfText(plain('udp', '  secauth: on\n')))).toEqual(['corosync.crypto-transport']);
    expect(codes(checkConfText(plain('udpu', '  crypto_cipher: none\n  crypto_hash: none\n')))).toEqual([]);
    expect(codes(checkConfText(plain('knet', '  crypto_cipher: aes256\n  crypto_hash: sha256\n')))).toEqual([]);
    expect(codes(checkConfText(plain('knet', '  crypto_cipher: aes256\n')))).toEqual(['corosync.crypto-hash']);
    expect(codes(checkConfText(plain('knet', '  secauth: on\n  crypto_cipher: aes256\n')))).toEqual([]);
    expect(codes(checkConfText(plain('knet', '  secauth: yes\n')), 'warning')).toEqual(['corosync.secauth']);
  });

  it('expected_votes: 0 means unset (votequorum computes it), also beside a QDevice without votes', () => {
    const text = file({ nodes: 3, quorum: '  expected_votes: 0\n', device: net('lms') });
    expect(codes(checkConfText(text))).toEqual([]);
    expect(readConf(unwrap(parseConf(text))).quorum.expectedVotes).toBeUndefined();
  });

  it('totem timers below the minimums, also derived ones, are refused', () => {
    const t = (lines: string): string[] => codes(checkConfText(plain('knet', lines)));
    expect(t('  token: 29\n')).toEqual(['corosync.timer']);
    expect(t('  token: 125\n')).toEqual(['corosync.timer']); // retransmit 125/4.2 = 29 ms
    expect(t('  token: 126\n')).toEqual([]);
    expect(t('  token_retransmit: 29\n')).toEqual(['corosync.timer']);
    expect(t('  hold: 13\n')).toEqual(['corosync.timer']);
    expect(t('  hold: 14\n')).toEqual([]);
    expect(t('  join: 29\n')).toEqual(['corosync.timer']);
    expect(t('  consensus: 40\n  join: 50\n')).toEqual(['corosync.timer']);
    expect(t('  merge: 29\n')).toEqual(['corosync.timer']);
    expect(t('  downcheck: 29\n')).toEqual(['corosync.timer']);
    expect(t('  token_warning: 101\n')).toEqual(['corosync.timer']);
    expect(t('  token: 3000\n  consensus: 3600\n  join: 60\n')).toEqual([]);
  });

  it('key names: only letters, digits and . _ - / : (icmap)', () => {
    const k = (key: string): string[] => codes(checkConfText(plain('knet', `  ${key}: 1\n`)));
    for (const bad of ['foo@bar', 'foo+bar', 'fooé']) {
      expect(k(bad)).toEqual(['corosync.key-name']);
    }
    for (const ok of ['foo-bar', 'foo/bar:baz', 'cluster_uuid', 'x.y']) {
      expect(k(ok)).toEqual([]);
    }
  });

  it('accepts what corosync accepts even where Quorate would not write it (warnings only)', () => {
    const dupName =
      '  node {\n    name: a\n    nodeid: 1\n    ring0_addr: 198.18.0.1\n  }\n  node {\n    name: a\n    nodeid: 2\n    ring0_addr: 198.18.0.2\n  }\n';
    const ps = checkConfText(plain('knet', '', dupName));
    expect(codes(ps)).toEqual([]);
    expect(codes(ps, 'warning')).toEqual(['corosync.duplicate-name']);
  });
});
