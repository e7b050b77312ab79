/**
 * Lab support for Pacemaker: pacemakerd started inside two lab hosts over real corosync elects one
 * DC that both see; stopping it leaves no Pacemaker process in either host. Stonith is never
 * configured here (no watchdog, no sbd: a watchdog would reset the whole machine).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minimalCorosyncConf, startCorosync, stopCorosync } from './corosync';
import { labSupport, labUp, type Lab } from './lab';
import { pacemakerSupport, startPacemaker, stopPacemaker, waitPacemakerDc } from './pacemaker';

const support = labSupport();
const pcmk = await pacemakerSupport();
const skip = !support.ok ? support.reason : !pcmk.ok ? pcmk.reason : null;
if (skip) {
  console.warn(`lab Pacemaker tests skipped: ${skip}`);
}

describe.skipIf(skip !== null)('real Pacemaker on lab hosts (startPacemaker / stopPacemaker)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await labUp({ hosts: 2 });
    await startCorosync(lab, [1, 2], minimalCorosyncConf(lab, [1, 2], { quorum: ['two_node: 1'] }));
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('elects one DC that both hosts report, with both nodes online', async () => {
    const pids = await startPacemaker(lab, [1, 2]);
    expect([...pids.keys()]).toEqual([1, 2]);
    const dc1 = await waitPacemakerDc(lab, 1, 2);
    const dc2 = await waitPacemakerDc(lab, 2, 2);
    expect(dc1).toBe(dc2);
    expect(['node1', 'node2']).toContain(dc1);
    // Each host has its own CIB and its own log (private /var/lib, /var/log).
    for (const h of [1, 2]) {
      expect((await lab.exec(h, 'test -s /var/lib/pacemaker/cib/cib.xml && echo yes')).stdout.trim()).toBe('yes');
      expect((await lab.exec(h, 'grep -c "pacemaker-controld" /var/log/pacemaker/pacemaker.log')).exitCode).toBe(0);
    }
  });

  it('stops cleanly: no pacemaker daemon left in either host', async () => {
    await stopPacemaker(lab);
    for (const h of [1, 2]) {
      const ps = await lab.exec(h, 'ps -eo comm= | grep -c "^pacemaker" || true');
      expect(ps.stdout.trim()).toBe('0');
    }
    expect(lab.daemons().filter((d) => d.argv[0]?.endsWith('pacemakerd'))).toEqual([]);
    await stopCorosync(lab);
  });
});
