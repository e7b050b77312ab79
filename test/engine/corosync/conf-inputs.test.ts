/**
 * Names and addresses are checked by the edit functions themselves: no caller can write a newline,
 * a brace or a comment into corosync.conf through them (a `--link0` with a newline used to inject a
 * whole `quorum { expected_votes: 1 }` section that `conf check` then passed).
 */
import { describe, expect, it } from 'vitest';
import {
  addLink,
  addNode,
  checkNewConf,
  isLinkAddress,
  parseConf,
  printConf,
  renderNewConf,
  setNodeLinkAddress,
  setQdevice,
} from '../../../engine/corosync';
import { main } from '../../../engine/cli/main';
import type { CliIo } from '../../../engine/cli/io';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const conf = `totem {
  version: 2
  cluster_name: lab
  config_version: 3
  interface {
    linknumber: 0
  }
}
nodelist {
  node {
    name: n1
    nodeid: 1
    ring0_addr: 198.18.0.11
  }
  node {
    name: n2
    nodeid: 2
    ring0_addr: 198.18.0.12
  }
}
quorum {
  provider: corosync_votequorum
}
`;
const doc = () => {
  const d = parseConf(conf);
  if (!d.ok) {
    throw new Error(d.error.message);
  }
  return d.value;
};

const injected = '198.18.0.13\n}\n}\nquorum {\n  expected_votes: 1\n}\nnodelist {\n  node {';
const bad = [injected, '198.18.0.13 # x', 'a{b', '', ' ', '1.2.3.4;id', '$(reboot)', '-x', '300.1.1.1', 'fe80::1%eth0'];

describe('addresses', () => {
  it.each(['198.18.0.11', '::1', 'fd00::11', '::ffff:198.18.0.1', 'pve1', 'pve1.lan', 'a-b.example.org'])(
    'accepts %j',
    (a) => expect(isLinkAddress(a)).toBe(true),
  );
  it.each(bad)('refuses %j', (a) => expect(isLinkAddress(a)).toBe(false));
});

describe('edit functions refuse unchecked text', () => {
  it.each(bad)('addNode refuses link0 %j', (a) => {
    const r = addNode(doc(), { name: 'n3', nodeid: 3, links: { 0: a } });
    expect(r.ok).toBe(false);
  });
  it('addNode refuses the injected quorum section and writes nothing', () => {
    const r = addNode(doc(), { name: 'n3', nodeid: 3, links: { 0: injected } });
    expect(!r.ok && r.error.code).toBe('corosync.bad-address');
  });
  it.each(['n3\nquorum {', 'n 3', '-n3', ''])('addNode refuses the name %j', (name) => {
    expect(addNode(doc(), { name, nodeid: 3, links: { 0: '198.18.0.13' } }).ok).toBe(false);
  });
  it.each(bad)('addLink refuses %j', (a) => {
    expect(addLink(doc(), 1, { addresses: { n1: '198.18.1.11', n2: a } }).ok).toBe(false);
  });
  it.each(bad)('setNodeLinkAddress refuses %j', (a) => {
    expect(setNodeLinkAddress(doc(), 'n1', 0, a).ok).toBe(false);
  });
  it.each(bad)('setQdevice refuses the host %j', (a) => {
    expect(setQdevice(doc(), { host: a, algorithm: 'ffsplit' }).ok).toBe(false);
  });
  it('still adds a well-formed node', () => {
    const r = addNode(doc(), { name: 'n3', nodeid: 3, links: { 0: 'fd00::13' } });
    expect(r.ok && printConf(r.value)).toContain('ring0_addr: fd00::13');
  });
});

describe('renderNewConf', () => {
  const good = { clusterName: 'lab', nodes: [{ name: 'n1', nodeid: 1, links: { 0: '198.18.0.11' } }] };
  it('checks names and addresses as values', () => {
    expect(checkNewConf(good).ok).toBe(true);
    const r = checkNewConf({ ...good, nodes: [{ name: 'n1', nodeid: 1, links: { 0: injected } }] });
    expect(!r.ok && r.error.code).toBe('corosync.bad-address');
    expect(checkNewConf({ ...good, clusterName: 'lab\ntotem {' }).ok).toBe(false);
    expect(checkNewConf({ ...good, nodes: [{ name: 'n1\n', nodeid: 1, links: { 0: '198.18.0.11' } }] }).ok).toBe(false);
  });
  it('never writes an unchecked value, even when the caller skipped the check', () => {
    expect(() => renderNewConf({ ...good, nodes: [{ name: 'n1', nodeid: 1, links: { 0: injected } }] })).toThrow(
      RangeError,
    );
  });
});

describe('quorate conf edit', () => {
  it('refuses --link0 with a newline and writes no file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quorate-conf-inputs-'));
    try {
      const path = join(dir, 'c.conf');
      writeFileSync(path, conf);
      let stdout = '';
      let stderr = '';
      const io: CliIo = {
        stdout: (t) => void (stdout += t),
        stderr: (t) => void (stderr += t),
        readStdin: async () => '',
      };
      const code = await main(['conf', 'edit', path, '--add-node', 'n3', '--id', '3', '--link0', injected], io);
      expect(code).toBe(1);
      expect(stdout).not.toContain('expected_votes');
      expect(stderr).toMatch(/is not an IP address or a host name/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
