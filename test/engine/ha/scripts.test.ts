import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  cibDeleteCommand,
  haFactsScript,
  installPackagesScript,
  moveResourceCommand,
  parseKeyValues,
  probeAddressScript,
  standbyCommand,
  startPacemakerScript,
  stopPacemakerScript,
  unitExistsScript,
} from '../../../engine/ha/scripts';

/** `sh -n`: the script parses as POSIX sh. */
const parses = (script: string): boolean => {
  execFileSync('sh', ['-n', '-c', script]);
  return true;
};

describe('HA shell builders', () => {
  it('every script parses as sh', () => {
    for (const s of [
      haFactsScript(),
      installPackagesScript(),
      startPacemakerScript(),
      stopPacemakerScript(),
      unitExistsScript('nginx.service'),
      probeAddressScript('198.18.0.100', 'eth0'),
      probeAddressScript('198.18.0.100', null),
    ]) {
      expect(parses(s)).toBe(true);
    }
  });

  it('starts pacemakerd under systemd where present, else detached in the foreground with a pid file', () => {
    const s = startPacemakerScript();
    expect(s).toContain('systemctl enable --now pacemaker');
    expect(s).toContain('setsid nohup pacemakerd');
    expect(s).toContain('echo $! > /run/quorate/pacemaker.pid');
    // idempotent: nothing when the CIB already answers
    expect(s.split('\n')[1]).toMatch(/^if cibadmin .*; then echo already running; exit 0; fi$/);
  });

  it('stops only a PID whose command line is pacemakerd', () => {
    expect(stopPacemakerScript()).toMatch(/ours\(\) \{ tr .* grep -q pacemakerd; \}/);
    expect(stopPacemakerScript()).not.toMatch(/pkill|killall/);
  });

  it('installs without recommends (no fence-agents Python stack)', () => {
    expect(installPackagesScript()).toContain('--no-install-recommends pacemaker pacemaker-cli-utils resource-agents');
  });

  it('quotes every value it interpolates', () => {
    expect(moveResourceCommand("a'b", 'node 2')).toContain("--resource 'a'\\''b' --move --node 'node 2'");
    expect(standbyCommand('$(reboot)', true)).toContain("--node '$(reboot)' --name standby --update on");
    expect(cibDeleteCommand('resources', '<primitive id="x"/>')).toContain(`--xml-text '<primitive id="x"/>'`);
    expect(unitExistsScript('x;reboot')).toContain("systemctl cat 'x;reboot'");
  });

  it('a unit that does not exist is reported as such by the real shell', () => {
    const out = execFileSync('sh', ['-c', unitExistsScript('quorate-no-such-unit-xyz.service')]).toString();
    expect(parseKeyValues(out).get('unit')).toBe('no');
  });
});
