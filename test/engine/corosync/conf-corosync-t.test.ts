/**
 * The validator against the real thing: `corosync -t -c FILE` (corosync 3.1.7, "Test configuration
 * and exit") parses the file, reads the logging and totem config, validates it and exits before
 * starting anything. It needs the local host to be one of the nodes, and /etc/corosync/authkey when
 * crypto is on, so every run happens in a fresh network + mount namespace (unshare) where lo carries
 * the first node's address, /etc/corosync holds a throw-away authkey and /etc/hosts names the nodes.
 * Addresses outside 198.18.0.0/15 in a file are first mapped into it (the lab rule), so the check is
 * about syntax and values, not about which network a man page happened to use.
 *
 * What `-t` cannot see: votequorum rules (two_node with a QDevice…) are checked when the quorum
 * service loads. Those are checked by starting `corosync -f` for a few seconds in the same kind of
 * namespace (plus a private PID namespace, /run and /dev/shm), where a refused config makes corosync
 * exit at once with "Service engine 'corosync_quorum' failed to load". corosync-qdevice's own rules
 * (ffsplit needs the votes key set to 1) are checked by starting corosync-qdevice -f -d beside
 * that corosync: a refused config stops it at "Algorithm init failed", before it connects anywhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  addLink,
  addNode,
  checkConfText,
  parseConf,
  printConf,
  renderNewConf,
  setQdevice,
} from '../../../engine/corosync';
import { unwrap } from '../../../engine/result';
import { rng, variant } from './samples/variants';

const samples = join(dirname(fileURLToPath(import.meta.url)), 'samples');

function why(): string | undefined {
  if (process.platform !== 'linux') {
    return 'not Linux';
  }
  if (process.getuid?.() !== 0) {
    return 'not root (unshare of net+mount namespaces needs it)';
  }
  if (spawnSync('corosync', ['-v']).status !== 0) {
    return 'corosync is not installed';
  }
  if (spawnSync('unshare', ['--net', '--mount', 'true']).status !== 0) {
    return 'unshare --net --mount does not work here';
  }
  return undefined;
}
const skip = why();
if (skip) {
  console.log(`conf-corosync-t: skipped: ${skip}`);
}

const work = mkdtempSync(join(tmpdir(), 'quorate-corosync-t-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Map every ringX_addr outside 198.18.0.0/15 (IPv4, IPv6 or hostname) into 198.18.200.0/24; hostnames via /etc/hosts. */
function labify(text: string): { text: string; local: string; hosts: string } {
  const mapped = new Map<string, string>();
  const hosts: string[] = [];
  let first: string | undefined;
  const out = text
    .split('\n')
    .map((line) => {
      const m = /^(\s*ring\d+_addr\s*:\s*)(\S+)(\s*)$/.exec(line);
      if (!m) {
        return line;
      }
      const addr = m[2]!;
      if (!mapped.has(addr)) {
        const to = /^198\.1[89]\.\d+\.\d+$/.test(addr) ? addr : `198.18.200.${mapped.size + 1}`;
        mapped.set(addr, to);
        if (!/^[0-9.]+$/.test(addr) && !addr.includes(':')) {
          hosts.push(`${to} ${addr}`);
        }
      }
      first ??= mapped.get(addr);
      // Hostnames stay (resolved through /etc/hosts); literals are replaced.
      return hosts.some((h) => h.endsWith(` ${addr}`)) ? line : `${m[1]}${mapped.get(addr)}${m[3]}`;
    })
    .join('\n');
  return { text: out, local: first ?? '198.18.200.1', hosts: hosts.join('\n') };
}

let runs = 0;
/** Run `corosync -t` on `text` inside throw-away namespaces; returns exit status and output. */
function corosyncTest(text: string, map = true): { status: number | null; output: string } {
  const lab = map ? labify(text) : { text, local: '198.18.200.1', hosts: '' };
  const dir = join(work, String(runs++));
  spawnSync('mkdir', ['-p', `${dir}/etc`, `${dir}/log/corosync`, `${dir}/log/cluster`, `${dir}/lib`]);
  writeFileSync(join(dir, 'corosync.conf'), lab.text);
  writeFileSync(join(dir, 'etc', 'authkey'), Buffer.alloc(256, 7), { mode: 0o400 });
  writeFileSync(join(dir, 'hosts'), `127.0.0.1 localhost\n${lab.hosts}\n`);
  const script = [
    'set -e',
    'ip link set lo up',
    `ip addr add ${lab.local}/32 dev lo`,
    `mount --bind ${dir}/etc /etc/corosync`,
    `mount --bind ${dir}/log /var/log`,
    `mount --bind ${dir}/lib /var/lib/corosync`,
    `mount --bind ${dir}/hosts /etc/hosts`,
    `exec timeout 20 corosync -t -c ${dir}/corosync.conf`,
  ].join('\n');
  const r = spawnSync('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'sh', '-c', script], {
    encoding: 'utf8',
    timeout: 30000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Start corosync in the foreground for up to `seconds` in private namespaces; status 124 means it kept running. */
function corosyncStart(text: string, local: string, seconds = 3): { status: number | null; output: string } {
  const dir = join(work, String(runs++));
  spawnSync('mkdir', ['-p', `${dir}/etc`, `${dir}/log`, `${dir}/lib`]);
  writeFileSync(
    join(dir, 'corosync.conf'),
    text.replace(/logging \{[^}]*\}/, 'logging {\n  to_stderr: yes\n  to_syslog: no\n}'),
  );
  writeFileSync(join(dir, 'etc', 'authkey'), Buffer.alloc(256, 7), { mode: 0o400 });
  const script = [
    'set -e',
    'ip link set lo up',
    `ip addr add ${local}/32 dev lo`,
    'mount -t tmpfs none /run',
    'mount -t tmpfs none /dev/shm',
    `mount --bind ${dir}/etc /etc/corosync`,
    `mount --bind ${dir}/log /var/log`,
    `mount --bind ${dir}/lib /var/lib/corosync`,
    `exec timeout ${seconds} corosync -f -c ${dir}/corosync.conf`,
  ].join('\n');
  // --pid --fork --kill-child: corosync dies with the namespace even if the test is interrupted.
  const r = spawnSync(
    'unshare',
    ['--net', '--mount', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--', 'sh', '-c', script],
    { encoding: 'utf8', timeout: (seconds + 10) * 1000, killSignal: 'SIGKILL' },
  );
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** corosync, then corosync-qdevice in the foreground, in one private namespace; returns qdevice's output. */
function qdeviceStart(text: string, local: string): { status: number | null; output: string } {
  const dir = join(work, String(runs++));
  spawnSync('mkdir', ['-p', `${dir}/etc`, `${dir}/log`, `${dir}/lib`]);
  writeFileSync(join(dir, 'etc', 'corosync.conf'), text);
  writeFileSync(join(dir, 'etc', 'authkey'), Buffer.alloc(256, 7), { mode: 0o400 });
  const script = [
    'set -e',
    'ip link set lo up',
    `ip addr add ${local}/32 dev lo`,
    'mount -t tmpfs none /run',
    'mount -t tmpfs none /dev/shm',
    `mount --bind ${dir}/etc /etc/corosync`,
    `mount --bind ${dir}/log /var/log`,
    `mount --bind ${dir}/lib /var/lib/corosync`,
    '(timeout 12 corosync -f >/dev/null 2>&1 &)',
    // corosync-qdevice exits at once when corosync is not up yet (lab notes): wait for its socket.
    'for i in $(seq 1 50); do corosync-cmapctl totem.cluster_name >/dev/null 2>&1 && break; sleep 0.2; done',
    'exec timeout 3 corosync-qdevice -f -d',
  ].join('\n');
  const r = spawnSync(
    'unshare',
    ['--net', '--mount', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--', 'sh', '-c', script],
    { encoding: 'utf8', timeout: 30000, killSignal: 'SIGKILL' },
  );
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const cases = readdirSync(samples, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe.skipIf(skip !== undefined)('corosync -t agrees with validateConf', () => {
  it('corosync -t refuses a file that names no local node, so a pass below means something', () => {
    const file = (addr: string): string =>
      `totem {\n  version: 2\n  crypto_cipher: none\n  crypto_hash: none\n}\nnodelist {\n  node {\n    name: n1\n    nodeid: 1\n    ring0_addr: ${addr}\n  }\n}\n`;
    expect(corosyncTest(file('198.18.200.1'), false).status).toBe(0);
    const elsewhere = corosyncTest(file('198.18.201.1'), false);
    expect(elsewhere.status).not.toBe(0);
    expect(elsewhere.output).toMatch(/local host/);
  });

  for (const name of cases) {
    const text = readFileSync(join(samples, name, 'input.conf'), 'utf8');
    const problems = checkConfText(text);
    const errors = problems.filter((p) => p.severity === 'error');
    // Only the errors corosync's parser and totem config can see are comparable with -t.
    const tVisible = errors.filter((p) =>
      [
        'corosync.parse',
        'corosync.not-integer',
        'corosync.bad-value',
        'corosync.missing-nodeid',
        'corosync.no-nodelist',
        'corosync.missing-address',
        'corosync.totem-version',
        'corosync.link-out-of-range',
        'corosync.nbsp',
        'corosync.bom',
        'corosync.crypto-transport',
        'corosync.crypto-hash',
        'corosync.timer',
        'corosync.key-name',
        'corosync.nodeid',
      ].includes(p.code),
    );
    if (errors.length === 0) {
      it(`${name}: valid for Quorate, accepted by corosync -t`, () => {
        const r = corosyncTest(text);
        expect(r.output).not.toMatch(/parse error|parser error/);
        expect(r.status, r.output).toBe(0);
      });
    } else if (tVisible.length > 0) {
      it(`${name}: refused by Quorate (${tVisible[0]!.code}), refused by corosync -t`, () => {
        const r = corosyncTest(text);
        expect(r.status, r.output).not.toBe(0);
      });
    }
  }

  it('a fresh pvecm-style file with crypto, two links and a QDevice is accepted by corosync -t', () => {
    const text = renderNewConf({
      clusterName: 'fresh',
      nodes: [
        { name: 'pve1', nodeid: 1, links: { 0: '198.18.0.1', 1: '198.19.0.1' } },
        { name: 'pve2', nodeid: 2, links: { 0: '198.18.0.2', 1: '198.19.0.2' } },
        { name: 'pve3', nodeid: 3, links: { 0: '198.18.0.3', 1: '198.19.0.3' } },
        { name: 'pve4', nodeid: 4, links: { 0: '198.18.0.4', 1: '198.19.0.4' } },
      ],
      links: [
        { linknumber: 0, knetLinkPriority: 10 },
        { linknumber: 1, knetLinkPriority: 20 },
      ],
    });
    expect(checkConfText(text).filter((p) => p.severity === 'error')).toEqual([]);
    expect(corosyncTest(text).status).toBe(0);
    const withQdevice = unwrap(setQdevice(unwrap(parseConf(text)), { host: '198.18.0.250', algorithm: 'ffsplit' })).doc;
    expect(checkConfText(printConf(withQdevice))).toEqual([]);
    expect(corosyncTest(printConf(withQdevice)).status).toBe(0);
  });

  it('generated spacing/indentation/line-ending variants are accepted by corosync -t too', () => {
    const r = rng(7);
    for (const name of [
      'pve-three-nodes',
      'tabs-two-node-two-links',
      'qdevice-lms-three-nodes',
      'unknown-sections-kept',
    ]) {
      for (let i = 0; i < 5; i++) {
        const v = variant(readFileSync(join(samples, name, 'input.conf'), 'utf8'), r);
        expect(checkConfText(v).filter((p) => p.severity === 'error')).toEqual([]);
        const out = corosyncTest(v);
        expect(out.status, `${out.output}\n${v}`).toBe(0);
      }
    }
  });

  it('agrees on the line length limit: 510 bytes pass, 511 do not', () => {
    const base = readFileSync(join(samples, 'pve-three-nodes', 'input.conf'), 'utf8');
    for (const [len, ok] of [
      [510, true],
      [511, false],
    ] as const) {
      const text = `#${'x'.repeat(len - 1)}\n${base}`;
      expect(checkConfText(text).length === 0).toBe(ok);
      expect(corosyncTest(text).status === 0).toBe(ok);
    }
  });

  it('edited files stay acceptable to corosync -t', () => {
    const base = unwrap(parseConf(readFileSync(join(samples, 'tabs-two-node-two-links', 'input.conf'), 'utf8')));
    const grown = unwrap(addNode(base, { name: 'gamma', nodeid: 3, links: { 0: '198.18.0.3', 1: '198.19.0.3' } }));
    const text = printConf(
      unwrap(addLink(grown, 2, { addresses: { alpha: '198.18.2.1', beta: '198.18.2.2', gamma: '198.18.2.3' } })),
    );
    expect(corosyncTest(text).status).toBe(0);
  });

  it('corosync -t refuses what the validator calls a value error: two_node: yes', () => {
    const text = readFileSync(join(samples, 'pve-three-nodes', 'input.conf'), 'utf8').replace(
      'provider: corosync_votequorum',
      'provider: corosync_votequorum\n  two_node: yes',
    );
    expect(checkConfText(text).map((p) => p.code)).toContain('corosync.not-integer');
    const r = corosyncTest(text);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/two_node.*expected to be integer/);
  });
});

interface RuntimeCase {
  readonly name: string;
  readonly quorum: string;
  readonly nodes: number;
  /** Validator error code expected, or undefined when the file is valid. */
  readonly code?: string;
  /** What corosync says on start. */
  readonly says: RegExp;
}

function runtimeFile(c: RuntimeCase): string {
  const nodes = Array.from(
    { length: c.nodes },
    (_, i) => `  node {\n    name: n${i + 1}\n    nodeid: ${i + 1}\n    ring0_addr: 198.18.0.${i + 1}\n  }\n`,
  ).join('');
  return `totem {\n  version: 2\n  cluster_name: rt\n  config_version: 1\n  crypto_cipher: none\n  crypto_hash: none\n}\nlogging {\n  to_syslog: no\n}\nnodelist {\n${nodes}}\nquorum {\n  provider: corosync_votequorum\n${c.quorum}}\n`;
}

const device =
  '  device {\n    votes: 1\n    model: net\n    net {\n      host: 198.18.0.250\n      algorithm: ffsplit\n    }\n  }\n';
const runtimeCases: RuntimeCase[] = [
  {
    name: 'two_node beside a QDevice',
    nodes: 2,
    quorum: `  two_node: 1\n${device}`,
    code: 'corosync.qdevice-two-node',
    says: /two_node and quorum device cannot be configured/,
  },
  {
    name: 'last_man_standing beside a QDevice',
    nodes: 4,
    quorum: `  last_man_standing: 1\n${device}`,
    code: 'corosync.qdevice-lms',
    says: /not compatible with last_man_standing/,
  },
  {
    name: 'auto_tie_breaker beside a QDevice',
    nodes: 4,
    quorum: `  auto_tie_breaker: 1\n${device}`,
    code: 'corosync.qdevice-atb',
    says: /not compatible with auto_tie_breaker/,
  },
  {
    name: 'expected_votes with a default-votes QDevice',
    nodes: 3,
    quorum:
      '  expected_votes: 5\n  device {\n    model: net\n    net {\n      host: 198.18.0.250\n      algorithm: lms\n    }\n  }\n',
    code: 'corosync.qdevice-votes',
    says: /device.votes must be specified when quorum.expected_votes is set/,
  },
  {
    name: 'auto_tie_breaker + last_man_standing, 3 nodes',
    nodes: 3,
    quorum: '  auto_tie_breaker: 1\n  last_man_standing: 1\n',
    code: 'corosync.atb-lms-odd',
    says: /auto_tie_breaker & last_man_standing not available in odd sized cluster/,
  },
  {
    name: 'auto_tie_breaker, 3 nodes, no wait_for_all (a warning: corosync disables ATB)',
    nodes: 3,
    quorum: '  auto_tie_breaker: 1\n',
    says: /auto_tie_breaker has been disabled/,
  },
  { name: 'a 4-node ffsplit QDevice', nodes: 4, quorum: device, says: /Using quorum provider corosync_votequorum/ },
  {
    name: 'expected_votes: 0 (unset) with a default-votes QDevice',
    nodes: 3,
    quorum:
      '  expected_votes: 0\n  device {\n    model: net\n    net {\n      host: 198.18.0.250\n      algorithm: lms\n    }\n  }\n',
    says: /Using quorum provider corosync_votequorum/,
  },
  {
    name: 'two_node with 3 nodes (a warning: corosync only turns on wait_for_all)',
    nodes: 3,
    quorum: '  two_node: 1\n',
    says: /Using quorum provider corosync_votequorum/,
  },
  {
    name: 'QDevice votes too high for expected_votes',
    nodes: 2,
    quorum:
      '  expected_votes: 3\n  device {\n    votes: 2\n    model: net\n    net {\n      host: 198.18.0.250\n      algorithm: lms\n    }\n  }\n',
    code: 'corosync.qdevice-votes',
    says: /quorum.device.votes is too high or expected_votes is too low/,
  },
];

describe.skipIf(skip !== undefined || spawnSync('corosync-qdevice', ['-h']).error !== undefined)(
  'corosync-qdevice start agrees with validateConf',
  () => {
    const ffsplit = (votes: string): RuntimeCase => ({
      name: 'ffsplit',
      nodes: 2,
      quorum: `  device {\n${votes}    model: net\n    net {\n      tls: off\n      host: 198.18.0.250\n      algorithm: ffsplit\n    }\n  }\n`,
      says: /./,
    });
    it('ffsplit without a votes key is refused by corosync-qdevice even for 2 nodes (validator: error)', () => {
      const text = runtimeFile(ffsplit(''));
      expect(checkConfText(text).map((p) => p.code)).toContain('corosync.qdevice-votes');
      const r = qdeviceStart(text, '198.18.0.1');
      expect(r.output).toMatch(/quorum.device.votes configuration key is set to 1/);
      expect(r.status, r.output).not.toBe(124);
    });
    it('ffsplit with votes: 1 passes algorithm init (validator: no error)', () => {
      const text = runtimeFile(ffsplit('    votes: 1\n'));
      expect(checkConfText(text).filter((p) => p.severity === 'error')).toEqual([]);
      const r = qdeviceStart(text, '198.18.0.1');
      expect(r.output).not.toMatch(/Algorithm init failed/);
      expect(r.status, r.output).toBe(124);
    });
  },
);

describe.skipIf(skip !== undefined)('corosync start (votequorum) agrees with validateConf', () => {
  for (const c of runtimeCases) {
    it(`${c.name}: ${c.code ? `validator ${c.code}, corosync refuses to start` : 'validator finds no error, corosync starts'}`, () => {
      const text = runtimeFile(c);
      const errors = checkConfText(text)
        .filter((p) => p.severity === 'error')
        .map((p) => p.code);
      expect(errors).toEqual(c.code ? [c.code] : []);
      const r = corosyncStart(text, '198.18.0.1');
      expect(r.output).toMatch(c.says);
      if (c.code) {
        expect(r.status, r.output).not.toBe(124);
      } else {
        expect(r.status, r.output).toBe(124);
      }
    });
  }
});
