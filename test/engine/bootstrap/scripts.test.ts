import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AGENT_DIRS,
  AGENT_FILES,
  activateScript,
  compareVersions,
  inspectScript,
  installNodeScript,
  nodeMajor,
  parseMachineState,
  planInstall,
  prepareScript,
  supervisorScript,
  systemdUnit,
  uninstallScript,
  type MachineState,
} from '../../../engine/bootstrap/scripts';

const bundle = { version: '0.2.0', digest: 'sha256:bbb' };
const base: MachineState = {
  nodePath: '/usr/bin/node',
  nodeVersion: 'v20.20.2',
  systemd: false,
  apt: true,
  uid: 0,
  installedVersion: null,
  installedDigest: null,
  agentPid: null,
  runningVersion: null,
};

describe('planInstall', () => {
  it.each<[string, Partial<MachineState>, string | { problem: string }, boolean]>([
    ['nothing installed', {}, 'install', false],
    [
      'same version and bundle, running',
      { installedVersion: '0.2.0', installedDigest: 'sha256:bbb', agentPid: 42, runningVersion: '0.2.0' },
      'unchanged',
      false,
    ],
    ['same version, not running', { installedVersion: '0.2.0', installedDigest: 'sha256:bbb' }, 'start', false],
    [
      'same version, an older process still running',
      { installedVersion: '0.2.0', installedDigest: 'sha256:bbb', agentPid: 42, runningVersion: '0.1.0' },
      'start',
      false,
    ],
    [
      'older version',
      { installedVersion: '0.1.9', installedDigest: 'sha256:aaa', agentPid: 42, runningVersion: '0.1.9' },
      'upgrade',
      false,
    ],
    ['same version, other bundle', { installedVersion: '0.2.0', installedDigest: 'sha256:zzz' }, 'replace', false],
    ['newer version installed', { installedVersion: '0.10.0', installedDigest: 'sha256:zzz' }, 'replace', false],
    ['no node, apt available', { nodePath: null, nodeVersion: null }, 'install', true],
    ['node 16, apt available', { nodeVersion: 'v16.20.0' }, 'install', true],
    ['no node, no apt', { nodePath: null, nodeVersion: null, apt: false }, { problem: 'no-node' }, false],
    ['node 12, no apt', { nodeVersion: 'v12.22.9', apt: false }, { problem: 'old-node' }, false],
  ])('%s', (_name, over, expected, installNode) => {
    const r = planInstall({ ...base, ...over }, bundle);
    if (typeof expected === 'object') {
      expect(r).toEqual({ ok: false, ...expected });
    } else {
      expect(r.ok && r.plan.action).toBe(expected);
      expect(r.ok && r.plan.installNode).toBe(installNode);
    }
  });

  it('says "already installed, same version" when there is nothing to do', () => {
    const r = planInstall(
      { ...base, installedVersion: '0.2.0', installedDigest: 'sha256:bbb', agentPid: 42, runningVersion: '0.2.0' },
      bundle,
    );
    expect(r.ok && r.plan.reason).toMatch(/^already installed, same version \(0\.2\.0\), running as PID 42$/);
  });
});

describe('versions', () => {
  it.each([
    ['0.1.0', '0.2.0', -1],
    ['0.10.0', '0.9.9', 1],
    ['1.0', '1.0.0', 0],
    ['3.1.7', '3.1.7', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
  it.each([
    ['v18.19.0', 18],
    ['v20.20.2', 20],
    ['', null],
    [null, null],
  ] as const)('node major of %j', (v, m) => {
    expect(nodeMajor(v)).toBe(m);
  });
});

describe('parseMachineState', () => {
  it('reads what inspectScript prints, including the running agent hello', () => {
    const s = parseMachineState(
      [
        'node=/usr/bin/node',
        'node_version=v18.19.0',
        'systemd=no',
        'apt=yes',
        'uid=0',
        'installed=0.1.0',
        'installed_digest=sha256:abc',
        'agent_pid=1234',
        'hello={"id":1,"result":{"agentVersion":"0.1.0","protocolVersion":1}}',
      ].join('\n'),
    );
    expect(s).toEqual({
      nodePath: '/usr/bin/node',
      nodeVersion: 'v18.19.0',
      systemd: false,
      apt: true,
      uid: 0,
      installedVersion: '0.1.0',
      installedDigest: 'sha256:abc',
      agentPid: 1234,
      runningVersion: '0.1.0',
    });
  });

  it('reads a bare machine as nothing installed, nothing running', () => {
    expect(parseMachineState('node=\nsystemd=yes\napt=no\nuid=0\n')).toMatchObject({
      nodePath: null,
      systemd: true,
      installedVersion: null,
      agentPid: null,
      runningVersion: null,
    });
  });
});

describe('the scripts', () => {
  const scripts: [string, string][] = [
    ['inspect', inspectScript()],
    ['install node', installNodeScript()],
    ['prepare', prepareScript()],
    ['supervisor', supervisorScript('/usr/bin/node')],
    [
      'activate (supervisor)',
      activateScript({ nodePath: '/usr/bin/node', systemd: false, version: '0.2.0', digest: 'sha256:b' }),
    ],
    [
      'activate (systemd)',
      activateScript({ nodePath: '/usr/bin/node', systemd: true, version: '0.2.0', digest: 'sha256:b' }),
    ],
    ['uninstall', uninstallScript()],
  ];

  it.each(scripts)('%s is valid POSIX sh (dash -n)', (_name, script) => {
    const r = spawnSync('sh', ['-n'], { input: script, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('uninstall removes every file and directory install can create', () => {
    const u = uninstallScript();
    for (const p of [...AGENT_FILES, ...AGENT_DIRS]) {
      expect(u).toContain(p);
    }
  });

  it('only ever kills PIDs whose command line is the agent or its supervisor', () => {
    for (const s of [
      uninstallScript(),
      activateScript({ nodePath: '/usr/bin/node', systemd: false, version: '1', digest: 'd' }),
    ]) {
      const kills = s.split('\n').filter((l) => /\bkill -(TERM|KILL)\b/.test(l));
      expect(kills.length).toBeGreaterThan(0);
      // stop_pid checks /proc/PID/cmdline first (`ours`); the supervisor only signals its own child.
      for (const k of kills) {
        expect(k).toMatch(/ours "\$_p" "\$2"|kill -TERM "\$_p"|kill -TERM "\$child"/);
      }
    }
  });

  it('runs the agent on a unix socket only, under systemd with a private runtime directory', () => {
    const unit = systemdUnit('/usr/bin/node');
    expect(unit).toContain(
      'ExecStart=/usr/bin/node /usr/local/lib/quorate-agent/quorate-agent.cjs serve --socket /run/quorate-agent/agent.sock',
    );
    expect(unit).toContain('RuntimeDirectoryMode=0700');
    expect(unit).toContain('Restart=always');
  });

  const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
  if (!analyze) {
    console.warn('systemd unit check skipped: systemd-analyze is not installed');
  }
  it.skipIf(!analyze || !existsSync('/usr/bin/node'))(
    'writes a unit that systemd-analyze verify accepts without a warning',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'quorate-unit-'));
      try {
        const file = join(dir, 'quorate-agent.service');
        writeFileSync(file, systemdUnit('/usr/bin/node'));
        const r = spawnSync(analyze!, ['verify', file], { encoding: 'utf8' });
        expect(r.stderr.trim()).toBe('');
        expect(r.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('quotes an unusual node path for the shell', () => {
    expect(supervisorScript("/opt/my node's/bin/node")).toContain(
      "'/opt/my node'\\''s/bin/node' /usr/local/lib/quorate-agent/quorate-agent.cjs serve",
    );
  });
});
