/**
 * Every command builder that carries a name, an address, a path or a value from a machine, fed with
 * shell metacharacters and run for real by /bin/sh in a sandbox of recording stubs: the value must
 * arrive as data (inside one argv word of the command that should get it), and no payload may run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_DIR,
  activateScript,
  agentCallCommand,
  inspectScript,
  installNodeScript,
  prepareScript,
  uninstallScript,
} from '../../../engine/bootstrap/scripts';
import {
  installConfScript,
  mkdirCommand,
  readBase64Command,
  restoreConfScript,
  sha256Command,
  startServiceScript,
  stopServiceScript,
} from '../../../engine/ops/scripts';
import type { Step } from '../../../engine/ops/plan';
import type { ClusterSpec } from '../../../engine/ops/spec';
import { specFromConf } from '../../../engine/ops/spec';
import {
  cleanRemovedStep,
  createSteps,
  joinSteps,
  machinesOf,
  qdeviceRemoveSteps,
  qdeviceSetupSteps,
  removeSteps,
} from '../../../engine/providers/corosync';
import {
  pveQdeviceSetupSteps,
  pveRemoveSteps,
  pvecmAdd,
  pvecmCreate,
  pvecmDelnode,
  pvecmQdeviceSetup,
} from '../../../engine/providers/pve';
import {
  cibDeleteCommand,
  clearMoveCommand,
  moveResourceCommand,
  probeAddressScript,
  setPropertyCommand,
  standbyCommand,
  startResourceCommand,
  stopResourceCommand,
  unitExistsScript,
} from '../../../engine/ha/scripts';
import { sh } from '../../../engine/shell';
import { killMarkedCommand, markCommand, sudoInstallCommand, sudoWrap } from '../../../engine/ssh/commands';
import { payloads, Sandbox, sandboxUnavailable, type SandboxRun } from './sandbox';

const why = sandboxUnavailable();
if (why) {
  console.warn(`skipping the shell-injection sandbox tests: ${why}`);
}

let box: Sandbox;
beforeAll(() => {
  if (!why) {
    box = new Sandbox();
  }
});
afterAll(() => box?.dispose());

/** Every recorded word of `command` (any command when omitted). */
const wordsOf = (run: SandboxRun, command?: string): string[] =>
  run.invocations.filter((i) => command === undefined || i.command === command).flatMap((i) => i.args);

/** Runs `cmd` and asserts: no payload ran, and `value` reached `command` inside one argv word. */
function expectData(cmd: string, value: string, command?: string): SandboxRun {
  const run = box.run(cmd);
  expect(box.injected(), `a payload ran: ${JSON.stringify(value)} in ${cmd}`).toBe(false);
  const words = wordsOf(run, command);
  expect(
    words.some((w) => w.includes(value)),
    `${JSON.stringify(value)} did not reach ${command ?? 'any command'} as one word: ${JSON.stringify(run.invocations)}\n${run.stderr}`,
  ).toBe(true);
  return run;
}

/** A spec built by hand (names no conf would pass), only for the step builders, which read these fields. */
function spec(name: string, nodes: string[], qnetd?: string): ClusterSpec {
  const hand: Omit<ClusterSpec, 'votequorum'> = {
    name,
    configVersion: 3,
    nodes: nodes.map((n, i) => ({ name: n, nodeid: i + 1, addresses: { 0: `198.18.0.${i + 11}` }, machine: n })),
    linkPriorities: {},
    twoNode: false,
    lastManStanding: false,
    autoTieBreaker: false,
    ...(qnetd ? { qdevice: { host: qnetd, algorithm: 'ffsplit' as const, votes: 1, machine: qnetd } } : {}),
    conf: 'totem {\n}\n',
  };
  return { ...hand, votequorum: {} as ClusterSpec['votequorum'] };
}

/** Every shell text a step list carries: action commands, doneIf, rollbacks. */
function commandsOf(steps: readonly Step[]): string[] {
  const out: string[] = [];
  for (const s of steps) {
    if (s.action.kind === 'run') {
      out.push(s.action.command);
      if (s.action.doneIf) {
        out.push(s.action.doneIf);
      }
    }
    if (s.rollback?.kind === 'run') {
      out.push(s.rollback.command);
    }
  }
  return out;
}

describe.skipIf(why !== null)('command builders run every value as data (sandboxed /bin/sh)', () => {
  const all = (): string[] => payloads(box.canary);

  it('the sandbox itself catches an unquoted value (the test can fail)', () => {
    const p = `x; echo pwned >${box.canary}`;
    box.run(`probe ${p}`);
    expect(box.injected()).toBe(true);
    box.dispose();
    box = new Sandbox();
  });

  it('every fixed script builds and is valid sh (no syntax error when run)', () => {
    const scripts = [
      inspectScript(),
      installNodeScript(),
      prepareScript(),
      uninstallScript(),
      installConfScript(),
      restoreConfScript(null),
      restoreConfScript(7),
      ...(['corosync', 'corosync-qdevice', 'corosync-qnetd'] as const).flatMap((s) => [
        startServiceScript(s, 0.2),
        stopServiceScript(s),
      ]),
    ];
    for (const script of scripts) {
      const run = box.run(script);
      expect(run.stderr, script).not.toMatch(/Syntax error|unexpected|unterminated/i);
      expect(run.exitCode, `${script}\n${run.stderr}`).not.toBe(2);
    }
  });

  it('uninstall removes each agent directory as its own word (a joined list was one quoted word)', () => {
    const run = box.run(uninstallScript());
    expect(wordsOf(run, 'rmdir')).toContain(AGENT_DIR);
  });

  it('corosync provider: the removed node keeps the cluster name as one word (was unquoted after a stripped quote)', () => {
    for (const p of all()) {
      const step = cleanRemovedStep(p, 'n1');
      expect(step.action.kind).toBe('run');
      // The suffix is part of the mv target word; `[ -f "$f" ]` is a builtin, so give it files to find.
      const cmd = (step.action as { command: string }).command;
      const run = box.run(`: > /etc/corosync/authkey; ${cmd}`, ':', ['corosync-cfgtool']);
      expect(box.injected(), JSON.stringify(p)).toBe(false);
      expect(wordsOf(run, 'mv')).toContain(`authkey.removed-from-${p}`);
    }
  });

  it('corosync provider: QDevice certificate steps quote the cluster name in every file name', () => {
    for (const p of all()) {
      const steps = qdeviceSetupSteps(spec(p, ['n1', 'n2']), spec(p, ['n1', 'n2'], 'q'), 'q');
      const cmds = commandsOf(steps);
      const byCert = cmds.filter((c) => c.includes('certutil'));
      expect(byCert.length).toBeGreaterThan(3);
      box.runAll(cmds);
      expect(box.injected(), `${JSON.stringify(p)} ran in one of ${cmds.join('\n')}`).toBe(false);
      const sign = cmds.find((c) => c.includes('corosync-qnetd-certutil -s'))!;
      const run = expectData(sign, p, 'corosync-qnetd-certutil');
      expect(wordsOf(run, 'corosync-qnetd-certutil')).toEqual(['-s', '-c', `qdevice-net-node-${p}.crq`, '-n', p]);
      expect(wordsOf(run, 'rm')).toEqual(['-f', '--', `cluster-${p}.crt`]);
      const p12 = cmds.find((c) => c.includes('-M -c'))!;
      expect(wordsOf(box.run(p12), 'corosync-qdevice-net-certutil')).toEqual(['-M', '-c', `cluster-${p}.crt`]);
      const crq = cmds.find((c) => c.includes('certutil -r'))!;
      expect(wordsOf(box.run(crq), 'corosync-qdevice-net-certutil')).toEqual(['-r', '-n', p]);
    }
  });

  it('corosync provider: create, join, remove and QDevice removal steps carry no injectable text', () => {
    for (const p of all()) {
      const s = spec(p, [p, 'n2', 'n3']);
      const steps = [
        ...createSteps(s),
        ...joinSteps(s, spec(p, [p, 'n2', 'n3', 'n4']), ['n4']),
        ...removeSteps(s, spec(p, [p, 'n2']), machinesOf(spec(p, [p, 'n2'])), {
          name: 'n3',
          machine: 'n3',
          reachable: true,
        }),
        ...qdeviceRemoveSteps(spec(p, ['n1', 'n2'], 'q'), spec(p, ['n1', 'n2'])),
      ];
      box.runAll(commandsOf(steps));
      expect(box.injected(), `${JSON.stringify(p)} ran`).toBe(false);
    }
  });

  it('pve provider: pvecm gets names and addresses as single argv words', () => {
    for (const p of all()) {
      expect(wordsOf(expectData(pvecmCreate(p, { 0: p, 1: '198.18.0.2' }), p, 'pvecm'), 'pvecm')).toEqual([
        'create',
        p,
        '--link0',
        p,
        '--link1',
        '198.18.0.2',
      ]);
      expect(wordsOf(box.run(pvecmAdd(p, { 0: p })), 'pvecm')).toEqual(['add', p, '--link0', p, '--use_ssh', '1']);
      expect(wordsOf(box.run(pvecmDelnode(p)), 'pvecm')).toEqual(['delnode', p]);
      expect(wordsOf(box.run(pvecmQdeviceSetup(p, 'lms')), 'pvecm')).toEqual(['qdevice', 'setup', p, '--force']);
      const q = spec('c', ['n1', 'n2'], p);
      box.runAll(commandsOf(pveQdeviceSetupSteps(q)));
      expect(box.injected()).toBe(false);
    }
  });

  it('pve provider: the remove check compares the node name as text (was inside double quotes in a regex)', () => {
    for (const p of all()) {
      const steps = pveRemoveSteps(spec('c', ['n1']), p);
      const doneIf = (steps[0]!.action as { doneIf: string }).doneIf;
      const run = box.run(doneIf);
      expect(box.injected(), JSON.stringify(p)).toBe(false);
      expect(wordsOf(run, 'grep')).toEqual(['-qxF', '--', `name: ${p}`]);
    }
  });

  it('ops scripts: paths reach sha256sum, base64 and mkdir whole', () => {
    for (const p of all()) {
      // `[ -f PATH ]` is a builtin: make the file exist inside the sandbox's cwd so sha256sum runs.
      const run = box.run(`: > ${sh`${p}`} 2>/dev/null; ${sha256Command(p)}`);
      expect(box.injected()).toBe(false);
      if (!p.includes('/')) {
        expect(wordsOf(run, 'sha256sum')).toEqual(['--', p]);
      }
      expect(wordsOf(expectData(readBase64Command(p), p, 'base64'), 'base64')).toEqual(['-w0', '--', p]);
      expect(wordsOf(box.run(mkdirCommand(p)), 'mkdir')).toEqual(['-p', '--', p]);
    }
  });

  it('bootstrap: the agent call and the activation script keep method, params, version and digest as data', () => {
    for (const p of all()) {
      const call = box.run(agentCallCommand(p, { name: p }, 1000));
      expect(box.injected()).toBe(false);
      expect(wordsOf(call, 'node').slice(1, 4)).toEqual(['call', p, JSON.stringify({ name: p })]);
      box.run(
        activateScript({ nodePath: '/usr/local/sbin/node', systemd: false, version: p, digest: p, waitS: 0.1 }),
        'cat /usr/local/lib/quorate-agent/VERSION.tmp > "$OUT" 2>/dev/null; true',
      );
      expect(box.injected()).toBe(false);
      expect(box.out()).toBe(`${p}\n${p}\n`);
    }
  });

  it('ha: Pacemaker commands get ids, nodes, XML, units and addresses as single words', () => {
    for (const p of all()) {
      expect(wordsOf(expectData(setPropertyCommand('crm_config', p, p), p, 'crm_attribute'), 'crm_attribute')).toEqual([
        '--type',
        'crm_config',
        '--name',
        p,
        '--update',
        p,
      ]);
      expect(wordsOf(box.run(cibDeleteCommand('resources', p)), 'cibadmin')).toEqual([
        '--delete',
        '--scope',
        'resources',
        '--xml-text',
        p,
      ]);
      expect(wordsOf(box.run(moveResourceCommand(p, p)), 'crm_resource')).toEqual([
        '--resource',
        p,
        '--move',
        '--node',
        p,
      ]);
      expect(wordsOf(box.run(standbyCommand(p, true)), 'crm_attribute')).toEqual([
        '--type',
        'nodes',
        '--node',
        p,
        '--name',
        'standby',
        '--update',
        'on',
      ]);
      box.runAll([stopResourceCommand(p), startResourceCommand(p), clearMoveCommand(p), unitExistsScript(p)]);
      expect(box.injected(), JSON.stringify(p)).toBe(false);
      const probe = box.run(probeAddressScript(p, p));
      expect(box.injected()).toBe(false);
      expect(wordsOf(probe, 'arping')).toEqual(['-q', '-D', '-c', '2', '-w', '2', '-I', p, p]);
    }
  });

  it('ssh: sudo wrapping, marked commands, sudo uploads and the marker kill keep every value whole', () => {
    for (const p of all()) {
      for (const mode of ['nopasswd', 'password', 'root'] as const) {
        expect(wordsOf(expectData(sudoWrap(sh`probe ${p}`, mode), p, 'probe'), 'probe')).toEqual([p]);
      }
      const marked = box.run(markCommand(sh`probe ${p}`, p));
      expect(box.injected()).toBe(false);
      expect(wordsOf(marked, 'probe')).toEqual([p]);
      expect(wordsOf(marked, 'sh')).toEqual(['-c', sh`probe ${p}`, p]);
      if (!p.includes('/') && !p.includes('\n')) {
        const up = box.run(sudoInstallCommand(p, p, 0o600, 'n1'));
        expect(box.injected()).toBe(false);
        expect(wordsOf(up, 'mv')).toEqual(['-f', '--', `.${p}.quorate-n1.tmp`, p]);
      }
      box.run(`${killMarkedCommand(p)}\nprintf '%s' "$m" > "$OUT"`);
      expect(box.injected()).toBe(false);
      expect(box.out()).toBe(p);
    }
  });
});

describe('names read from a machine', () => {
  const conf = (name: string, node = 'n1'): string =>
    `totem {\n  version: 2\n  cluster_name: ${name}\n  config_version: 1\n}\nnodelist {\n  node {\n    name: ${node}\n    nodeid: 1\n    ring0_addr: 198.18.0.11\n  }\n}\nquorum {\n  provider: corosync_votequorum\n}\n`;
  it.each(['$(reboot)', 'a;b', '../x', '-rf', 'c`id`'])('refuses the cluster name %j', (name) => {
    const r = specFromConf(conf(name));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('corosync.bad-name');
  });
  it('refuses a node name with shell metacharacters', () => {
    const r = specFromConf(conf('lab', 'n1;id'));
    expect(!r.ok && r.error.message).toMatch(/nodelist: node 1: name/);
  });
  it('accepts ordinary names', () => {
    expect(specFromConf(conf('lab-1', 'pve1.lan')).ok).toBe(true);
  });
});
