import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkConfText, parseConf, printConf, readConf, renderNewConf } from '../../../engine/corosync';

const samples = join(dirname(fileURLToPath(import.meta.url)), 'samples');

describe('renderNewConf', () => {
  it('writes the layout of pvecm create (sorted keys, two-space indent, blank line after each section)', () => {
    // samples/pve-three-nodes is written by hand after pve-cluster's Corosync.pm write_conf.
    const expected = readFileSync(join(samples, 'pve-three-nodes', 'input.conf'), 'utf8').replace(
      'config_version: 3',
      'config_version: 1',
    );
    const text = renderNewConf({
      clusterName: 'homelab',
      nodes: [
        { name: 'pve3', nodeid: 3, links: { 0: '198.18.0.13' } },
        { name: 'pve1', nodeid: 1, links: { 0: '198.18.0.11' } },
        { name: 'pve2', nodeid: 2, links: { 0: '198.18.0.12' } },
      ],
    });
    expect(text).toBe(expected);
  });

  it('declares one interface per link with its priority, and is valid', () => {
    const text = renderNewConf({
      clusterName: 'duo',
      nodes: [
        { name: 'a', nodeid: 1, votes: 1, links: { 0: '198.18.0.1', 1: '198.19.0.1' } },
        { name: 'b', nodeid: 2, links: { 0: '198.18.0.2', 1: '198.19.0.2' } },
      ],
      links: [
        { linknumber: 0, knetLinkPriority: 15 },
        { linknumber: 1, knetLinkPriority: 20 },
      ],
      twoNode: true,
      crypto: false,
      tokenCoefficient: 125,
    });
    expect(text).toContain(
      '  interface {\n    knet_link_priority: 15\n    linknumber: 0\n  }\n  interface {\n    knet_link_priority: 20\n    linknumber: 1\n  }\n',
    );
    expect(text).toContain('  crypto_cipher: none\n  crypto_hash: none\n');
    expect(text).not.toContain('secauth');
    const r = parseConf(text);
    if (!r.ok) {
      throw new Error(r.error.message);
    }
    expect(printConf(r.value)).toBe(text);
    const conf = readConf(r.value);
    expect(conf.quorum.twoNode).toBe(true);
    expect(conf.totem.tokenCoefficient).toBe(125);
    expect(conf.totem.interfaces.map((i) => [i.linknumber, i.knetLinkPriority])).toEqual([
      [0, 15],
      [1, 20],
    ]);
    expect(checkConfText(text)).toEqual([]);
  });

  it('refuses a nodeid it cannot write', () => {
    expect(() =>
      renderNewConf({ clusterName: 'x', nodes: [{ name: 'a', nodeid: 0, links: { 0: '198.18.0.1' } }] }),
    ).toThrow(RangeError);
  });
});
