import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  addLink,
  addNode,
  bumpConfigVersion,
  checkConfText,
  parseConf,
  printConf,
  readConf,
  removeLink,
  removeNode,
  removeQdevice,
  setNodeLinkAddress,
  setQdevice,
  setVotequorumOptions,
  type ConfDocument,
} from '../../../engine/corosync';
import type { Result } from '../../../engine/result';

const samples = join(dirname(fileURLToPath(import.meta.url)), 'samples');
const sample = (name: string): string => readFileSync(join(samples, name, 'input.conf'), 'utf8');

function doc(text: string): ConfDocument {
  const r = parseConf(text);
  if (!r.ok) {
    throw new Error(r.error.message);
  }
  return r.value;
}

function text(r: Result<ConfDocument>): string {
  if (!r.ok) {
    throw new Error(`${r.error.code}: ${r.error.message}`);
  }
  return printConf(r.value);
}

/** Physical lines (with their endings). */
function lines(t: string): string[] {
  return t.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Lines only in `before` and only in `after` (longest common subsequence), sorted: what an edit touched. */
function diff(before: string, after: string): { removed: string[]; added: string[] } {
  const a = lines(before);
  const b = lines(after);
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const removed: string[] = [];
  const added: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      removed.push(a[i++]!);
    } else {
      added.push(b[j++]!);
    }
  }
  removed.push(...a.slice(i));
  added.push(...b.slice(j));
  return { removed: removed.sort(), added: added.sort() };
}

/** Expected changed lines, order-free (a line diff may pair equal lines either way). */
function changes(removed: string[], added: string[]): { removed: string[]; added: string[] } {
  return { removed: [...removed].sort(), added: [...added].sort() };
}

const pve = sample('pve-three-nodes');
const tabs = sample('tabs-two-node-two-links');

describe('addNode', () => {
  it('adds a node block shaped like the others and bumps config_version, nothing else', () => {
    const after = text(addNode(doc(pve), { name: 'pve4', nodeid: 4, links: { 0: '198.18.0.14' } }));
    expect(diff(pve, after)).toEqual(
      changes(
        ['  config_version: 3\n'],
        [
          '  node {\n',
          '    name: pve4\n',
          '    nodeid: 4\n',
          '    quorum_votes: 1\n',
          '    ring0_addr: 198.18.0.14\n',
          '  }\n',
          '  config_version: 4\n',
        ],
      ),
    );
    expect(after.indexOf('pve4')).toBeGreaterThan(after.indexOf('pve3'));
    expect(checkConfText(after)).toEqual([]);
  });

  it('uses tabs, blank-line separation and no quorum_votes when the file does', () => {
    const after = text(addNode(doc(tabs), { name: 'gamma', nodeid: 3, links: { 0: '198.18.0.3', 1: '198.19.0.3' } }));
    expect(diff(tabs, after)).toEqual(
      changes(
        ['\tconfig_version: 41\n'],
        [
          '\tconfig_version: 42\n',
          '\n',
          '\tnode {\n',
          '\t\tname: gamma\n',
          '\t\tnodeid: 3\n',
          '\t\tring0_addr: 198.18.0.3\n',
          '\t\tring1_addr: 198.19.0.3\n',
          '\t}\n',
        ],
      ),
    );
  });

  it('keeps CRLF line endings in inserted lines', () => {
    const crlf = sample('pve-three-nodes-crlf');
    const after = text(addNode(doc(crlf), { name: 'pve4', nodeid: 4, links: { 0: '198.18.0.14' } }));
    expect(after.replace(/\r\n/g, '')).not.toContain('\n');
    expect(after.replace(/\r\n/g, '\n')).toBe(
      text(addNode(doc(pve), { name: 'pve4', nodeid: 4, links: { 0: '198.18.0.14' } })),
    );
  });

  it('refuses a duplicate name, nodeid or address, and a different link set', () => {
    const d = doc(pve);
    const code = (r: Result<ConfDocument>): string => (r.ok ? 'ok' : r.error.code);
    expect(code(addNode(d, { name: 'pve1', nodeid: 9, links: { 0: '198.18.0.19' } }))).toBe('corosync.duplicate-name');
    expect(code(addNode(d, { name: 'pve9', nodeid: 2, links: { 0: '198.18.0.19' } }))).toBe(
      'corosync.duplicate-nodeid',
    );
    expect(code(addNode(d, { name: 'pve9', nodeid: 9, links: { 0: '198.18.0.12' } }))).toBe(
      'corosync.duplicate-address',
    );
    expect(code(addNode(d, { name: 'pve9', nodeid: 9, links: { 0: '198.18.0.19', 1: '198.19.0.19' } }))).toBe(
      'corosync.link-mismatch',
    );
    expect(code(addNode(d, { name: 'pve9', nodeid: 0, links: { 0: '198.18.0.19' } }))).toBe('corosync.nodeid');
    expect(printConf(d)).toBe(pve);
  });

  it('adds config_version when the file has none', () => {
    const debian = sample('debian-default');
    const after = text(addNode(doc(debian), { name: 'node2', nodeid: 2, links: { 0: '127.0.0.2' } }));
    expect(diff(debian, after).added).toContain('\tconfig_version: 1\n');
    expect(readConf(doc(after)).totem.configVersion).toBe(1n);
  });
});

describe('removeNode', () => {
  it('removes exactly the node block and bumps the version', () => {
    const after = text(removeNode(doc(pve), 'pve2'));
    expect(diff(pve, after)).toEqual(
      changes(
        [
          '  node {\n',
          '    name: pve2\n',
          '    nodeid: 2\n',
          '    quorum_votes: 1\n',
          '    ring0_addr: 198.18.0.12\n',
          '  }\n',
          '  config_version: 3\n',
        ],
        ['  config_version: 4\n'],
      ),
    );
  });

  it('takes the blank separator line with it, and keeps a missing final newline missing', () => {
    const after = text(removeNode(doc(tabs), 'beta'));
    expect(after).not.toContain('\n\n}');
    const noNl = sample('pve-three-nodes-no-final-newline');
    expect(text(removeNode(doc(noNl), 'pve1')).endsWith('}')).toBe(true);
  });

  it('refuses an unknown node and the last node', () => {
    const r = removeNode(doc(pve), 'nope');
    expect(r.ok ? '' : r.error.code).toBe('corosync.unknown-node');
    const one = unwrapText(removeNode(doc(unwrapText(removeNode(doc(pve), 'pve1'))), 'pve2'));
    const last = removeNode(doc(one), 'pve3');
    expect(last.ok ? '' : last.error.code).toBe('corosync.last-node');
  });
});

function unwrapText(r: Result<ConfDocument>): string {
  return text(r);
}

describe('setNodeLinkAddress', () => {
  it('changes only the value, keeping the spacing around it', () => {
    const weird = sample('weird-spacing');
    const after = text(setNodeLinkAddress(doc(weird), 'n2', 0, '198.18.0.99'));
    expect(diff(weird, after)).toEqual(
      changes(
        ['      ring0_addr :198.18.0.22\n', '\tconfig_version:7\n'],
        ['\tconfig_version:8\n', '      ring0_addr :198.18.0.99\n'],
      ),
    );
  });

  it('refuses an address another node has and a link the cluster lacks', () => {
    const a = setNodeLinkAddress(doc(pve), 'pve1', 0, '198.18.0.12');
    expect(a.ok ? '' : a.error.code).toBe('corosync.duplicate-address');
    const b = setNodeLinkAddress(doc(pve), 'pve1', 3, '198.18.3.11');
    expect(b.ok ? '' : b.error.code).toBe('corosync.unknown-link');
  });
});

describe('addLink / removeLink', () => {
  it('adds an interface block and a ringX_addr on every node', () => {
    const after = text(
      addLink(doc(pve), 1, {
        addresses: { pve1: '198.19.0.11', pve2: '198.19.0.12', pve3: '198.19.0.13' },
        knetLinkPriority: 20,
      }),
    );
    expect(diff(pve, after)).toEqual(
      changes(
        ['  config_version: 3\n'],
        [
          '    ring1_addr: 198.19.0.11\n',
          '    ring1_addr: 198.19.0.12\n',
          '    ring1_addr: 198.19.0.13\n',
          '  config_version: 4\n',
          '  interface {\n',
          '    linknumber: 1\n',
          '    knet_link_priority: 20\n',
          '  }\n',
        ],
      ),
    );
    expect(checkConfText(after)).toEqual([]);
    expect(readConf(doc(after)).nodes.map((n) => n.links[1])).toEqual(['198.19.0.11', '198.19.0.12', '198.19.0.13']);
  });

  it('removing the added link gives back the original file but for config_version', () => {
    const added = addLink(doc(pve), 1, {
      addresses: { pve1: '198.19.0.11', pve2: '198.19.0.12', pve3: '198.19.0.13' },
    });
    if (!added.ok) {
      throw new Error(added.error.message);
    }
    expect(text(removeLink(added.value, 1))).toBe(pve.replace('config_version: 3', 'config_version: 5'));
  });

  it('refuses a missing address, a used link and the last link', () => {
    const a = addLink(doc(pve), 1, { addresses: { pve1: '198.19.0.11' } });
    expect(a.ok ? '' : a.error.code).toBe('corosync.missing-address');
    const b = addLink(doc(pve), 0, { addresses: {} });
    expect(b.ok ? '' : b.error.code).toBe('corosync.link-exists');
    const c = removeLink(doc(pve), 0);
    expect(c.ok ? '' : c.error.code).toBe('corosync.last-link');
  });
});

describe('setQdevice / removeQdevice', () => {
  it('adds quorum.device, removes two_node and says so', () => {
    const r = setQdevice(doc(tabs), { host: '198.18.0.250', algorithm: 'ffsplit', tls: 'on' });
    if (!r.ok) {
      throw new Error(r.error.message);
    }
    expect(r.value.removed).toEqual(['quorum.two_node']);
    const after = printConf(r.value.doc);
    expect(diff(tabs, after)).toEqual(
      changes(
        ['\tconfig_version: 41\n', '\ttwo_node: 1\n'],
        [
          '\tconfig_version: 42\n',
          '\tdevice {\n',
          '\t\tvotes: 1\n',
          '\t\tmodel: net\n',
          '\t\tnet {\n',
          '\t\t\thost: 198.18.0.250\n',
          '\t\t\talgorithm: ffsplit\n',
          '\t\t\ttls: on\n',
          '\t\t}\n',
          '\t}\n',
        ],
      ),
    );
    expect(checkConfText(after)).toEqual([]);
  });

  it('lms leaves votes to corosync, and removing the device restores the file', () => {
    const r = setQdevice(doc(pve), { host: '198.18.0.250', algorithm: 'lms' });
    if (!r.ok) {
      throw new Error(r.error.message);
    }
    const after = printConf(r.value.doc);
    expect(readConf(r.value.doc).quorum.device).toMatchObject({
      model: 'net',
      net: { host: '198.18.0.250', algorithm: 'lms' },
    });
    expect(readConf(r.value.doc).quorum.device?.votes).toBeUndefined();
    expect(checkConfText(after)).toEqual([]);
    expect(text(removeQdevice(r.value.doc))).toBe(pve.replace('config_version: 3', 'config_version: 5'));
  });

  it('updates an existing device in place', () => {
    const four = sample('qdevice-ffsplit-four-nodes');
    const r = setQdevice(doc(four), { host: '198.18.0.251', algorithm: 'ffsplit', tieBreaker: 'highest' });
    if (!r.ok) {
      throw new Error(r.error.message);
    }
    expect(diff(four, printConf(r.value.doc))).toEqual(
      changes(
        ['  config_version: 9\n', '      host: 198.18.0.250\n', '      tie_breaker: lowest\n'],
        ['  config_version: 10\n', '      host: 198.18.0.251\n', '      tie_breaker: highest\n'],
      ),
    );
  });

  it('refuses to remove a device that is not there', () => {
    const r = removeQdevice(doc(pve));
    expect(r.ok ? '' : r.error.code).toBe('corosync.no-qdevice');
  });
});

describe('setVotequorumOptions', () => {
  it('sets, leaves and removes keys; booleans as 1/0', () => {
    const after = text(
      setVotequorumOptions(doc(tabs), {
        two_node: null,
        wait_for_all: true,
        last_man_standing: undefined,
        expected_votes: 3,
      }),
    );
    expect(diff(tabs, after)).toEqual(
      changes(
        ['\tconfig_version: 41\n', '\ttwo_node: 1\n'],
        ['\tconfig_version: 42\n', '\twait_for_all: 1\n', '\texpected_votes: 3\n'],
      ),
    );
  });

  it('creates the quorum section when missing, keeping a missing final newline missing', () => {
    const noQuorum =
      'totem {\n  config_version: 1\n}\nnodelist {\n  node {\n    nodeid: 1\n    ring0_addr: 198.18.0.1\n  }\n}';
    const after = text(setVotequorumOptions(doc(noQuorum), { wait_for_all: false }));
    expect(after).toBe(
      'totem {\n  config_version: 2\n}\nnodelist {\n  node {\n    nodeid: 1\n    ring0_addr: 198.18.0.1\n  }\n}\n\nquorum {\n  provider: corosync_votequorum\n  wait_for_all: 0\n}',
    );
  });
});

describe('bumpConfigVersion', () => {
  it('counts past 2^53 exactly', () => {
    const big = 'totem {\n  config_version: 18446744073709551614\n}\n';
    expect(text(bumpConfigVersion(doc(big)))).toBe('totem {\n  config_version: 18446744073709551615\n}\n');
  });

  it('refuses a file without totem and a non-numeric version', () => {
    const a = bumpConfigVersion(doc('nodelist {\n}\n'));
    expect(a.ok ? '' : a.error.code).toBe('corosync.no-totem');
    const b = bumpConfigVersion(doc('totem {\n  config_version: x\n}\n'));
    expect(b.ok ? '' : b.error.code).toBe('corosync.config-version');
  });

  it('never changes the document it was given', () => {
    const d = doc(pve);
    bumpConfigVersion(d);
    addNode(d, { name: 'pve4', nodeid: 4, links: { 0: '198.18.0.14' } });
    expect(printConf(d)).toBe(pve);
  });
});
