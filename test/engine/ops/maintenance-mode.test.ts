import { describe, expect, it } from 'vitest';
import {
  parseHaManagerStatus,
  parseRunningGuests,
  pveMaintenance,
  pveMaintenanceCommand,
} from '../../../engine/ops/maintenance-mode.ssh';
import { ok } from '../../../engine/result';
import { quote } from '../../../engine/shell';
import type { CommandRunner } from '../../../engine/ssh/runner';

// `ha-manager status` as pve-ha-manager prints it (not captured from a real Proxmox: see README).
const STATUS = (where: string) => `quorum OK
master pve1 (active, Tue Dec  1 11:00:00 2026)
lrm pve1 (active, Tue Dec  1 11:00:01 2026)
lrm pve2 (maintenance mode, Tue Dec  1 11:00:01 2026)
service vm:100 (${where}, started)
service ct:101 (pve3, started)
service vm:102 (pve2, error)
`;

describe('Proxmox node-maintenance', () => {
  it('builds the ha-manager command with the node quoted', () => {
    expect(pveMaintenanceCommand('pve2', true)).toBe('ha-manager crm-command node-maintenance enable pve2');
    expect(pveMaintenanceCommand("x'y; rm", false)).toBe(
      `ha-manager crm-command node-maintenance disable ${quote("x'y; rm")}`,
    );
  });

  it('parses the service lines of ha-manager status', () => {
    expect(parseHaManagerStatus(STATUS('pve2'))).toEqual([
      { sid: 'vm:100', node: 'pve2', state: 'started' },
      { sid: 'ct:101', node: 'pve3', state: 'started' },
      { sid: 'vm:102', node: 'pve2', state: 'error' },
    ]);
  });

  it('lists running guests from qm list and pct list', () => {
    const qm =
      '      VMID NAME       STATUS     MEM(MB)\n       100 web        running    2048\n       103 old        stopped    512\n';
    const pct = 'VMID       Status     Lock         Name\n101        running                 dns\n';
    expect(parseRunningGuests(qm, pct)).toEqual(['vm:100', 'ct:101']);
  });

  it('waits until HA moved the services, and lists what could not move and why', async () => {
    let reads = 0;
    const commands: string[] = [];
    const runner: CommandRunner = {
      label: 'pve2',
      run: async (command) => {
        commands.push(command);
        let stdout = '';
        if (command === 'ha-manager status') {
          stdout = STATUS(reads++ === 0 ? 'pve2' : 'pve1');
        } else if (command.startsWith('qm list')) {
          stdout = 'VMID NAME STATUS\n100 web running\n104 lab running\n---\nVMID Status Lock Name\n';
        }
        return ok({ stdout, stderr: '', exitCode: 0, signal: null });
      },
      upload: async () => ok(undefined),
      close: async () => {},
    };
    let t = 0;
    const r = await pveMaintenance(runner, 'pve2', true, {
      timeoutMs: 10_000,
      now: () => t,
      sleep: async (ms) => void (t += ms),
    });
    expect(commands[0]).toBe('ha-manager crm-command node-maintenance enable pve2');
    expect(r.ok && r.value.moved).toEqual(['vm:100']);
    expect(r.ok && r.value.stuck.map((s) => s.id)).toEqual(['vm:102', 'vm:104']);
  });

  it('on disable, waits until the services that remembered the node are back on it', async () => {
    const ms = (node2: string, state: string, online: string) =>
      JSON.stringify({
        node_status: { pve1: 'online', pve2: online },
        service_status: {
          'vm:100': { node: node2, state, ...(node2 === 'pve2' ? {} : { maintenance_node: 'pve2' }) },
          'ct:101': { node: 'pve3', state: 'started' },
        },
      });
    const answers = [
      ms('pve1', 'started', 'maintenance'), // read before the disable
      ms('pve1', 'started', 'maintenance'), // the CRM has not seen it yet
      ms('pve1', 'migrate', 'online'),
      ms('pve2', 'started', 'online'),
    ];
    const commands: string[] = [];
    const runner: CommandRunner = {
      label: 'pve2',
      run: async (command) => {
        commands.push(command);
        const stdout = command === 'cat /etc/pve/ha/manager_status' ? (answers.shift() ?? answers.at(-1) ?? '') : '';
        return ok({ stdout, stderr: '', exitCode: 0, signal: null });
      },
      upload: async () => ok(undefined),
      close: async () => {},
    };
    let t = 0;
    const r = await pveMaintenance(runner, 'pve2', false, {
      timeoutMs: 60_000,
      now: () => t,
      sleep: async (ms) => void (t += ms),
    });
    expect(commands[1]).toBe('ha-manager crm-command node-maintenance disable pve2');
    expect(r.ok && r.value).toEqual({ moved: ['vm:100'], stuck: [] });
    expect(commands.filter((c) => c.startsWith('cat ')).length).toBe(4);
  });

  it('on disable, reports what HA has not brought back by the deadline', async () => {
    const away = JSON.stringify({
      node_status: { pve2: 'online' },
      service_status: { 'vm:100': { node: 'pve1', state: 'started', maintenance_node: 'pve2' } },
    });
    const runner: CommandRunner = {
      label: 'pve2',
      run: async (command) =>
        ok({ stdout: command.startsWith('cat ') ? away : '', stderr: '', exitCode: 0, signal: null }),
      upload: async () => ok(undefined),
      close: async () => {},
    };
    let t = 0;
    const r = await pveMaintenance(runner, 'pve2', false, {
      timeoutMs: 10_000,
      now: () => t,
      sleep: async (ms) => void (t += ms),
    });
    expect(r.ok && r.value.moved).toEqual([]);
    expect(r.ok && r.value.stuck.map((s) => s.id)).toEqual(['vm:100']);
  });
});
