import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDownStale, labSupport, labUp, type Lab } from './lab';
import { isAlive, type ProcRef } from './proc';
import { readState, stateDir, writeState } from './state.fs';
import { sshExec } from './ssh-exec';

const support = labSupport();
if (!support.ok) {
  console.warn(`lab self-tests skipped: ${support.reason}`);
}

const UDP_ECHO = `const d=require('dgram');for(const p of [5405,5413]){const s=d.createSocket('udp4');s.on('message',(m,r)=>s.send(m,r.port,r.address));s.bind(p)}`;

function udpAsk(address: string, port: number): string {
  return `node -e "const s=require('dgram').createSocket('udp4');setTimeout(()=>{console.log('timeout');process.exit(0)},800);s.on('message',()=>{console.log('reply');process.exit(0)});s.send('x',${port},'${address}')"`;
}

function labLeftovers(id: number, pids: readonly ProcRef[]): string[] {
  const left: string[] = [];
  const netns = execFileSync('ip', ['netns', 'list']).toString();
  if (new RegExp(`^ql${id}(sw|h\\d+)\\b`, 'm').test(netns)) {
    left.push(`netns: ${netns}`);
  }
  const links = execFileSync('ip', ['-o', 'link', 'show']).toString();
  if (links.includes(`ql${id}r`)) {
    left.push('root veth');
  }
  const mounts = readFileSync('/proc/mounts', 'utf8');
  if (mounts.includes(`quorate-lab-${id}/`) || mounts.includes(`/run/netns/ql${id}`)) {
    left.push('mounts');
  }
  for (const p of pids) {
    if (isAlive(p)) {
      left.push(`process ${p.pid}`);
    }
  }
  if (existsSync(`/tmp/quorate-lab-${id}`)) {
    left.push('temp dir');
  }
  if (existsSync(stateDir(id))) {
    left.push('state dir');
  }
  return left;
}

function recordedPids(id: number): ProcRef[] {
  const s = readState(id);
  if (!s) {
    return [];
  }
  return [...s.daemons, ...s.hosts.flatMap((h) => [h.anchor, h.unshare].filter((p): p is ProcRef => p !== undefined))];
}

describe.skipIf(!support.ok)('the lab', () => {
  let lab: Lab;
  let pids: ProcRef[] = [];

  beforeAll(async () => {
    lab = await labUp({ hosts: 3, sudoUser: [2] });
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('gives each host its own hostname, address and private /etc', async () => {
    for (const h of lab.hosts) {
      const r = await lab.exec(
        h.index,
        'hostname; ip -4 -o addr show dev eth0; test -e /etc/corosync/corosync.conf && echo conf || echo noconf; cat /etc/machine-id',
      );
      const [name, addr, conf, machineId] = r.stdout.split('\n');
      expect(name).toBe(h.name);
      expect(addr).toContain(`inet ${h.address}/24`);
      expect(conf).toBe('noconf');
      expect(machineId).not.toBe(readFileSync('/etc/machine-id', 'utf8').trim());
    }
  });

  it('logs root in by key and by password, and refuses a wrong password', async () => {
    const h = lab.host(1);
    const byKey = await sshExec(
      { host: h.address, username: 'root', privateKey: lab.sshKey.privateKey },
      'hostname; id -u',
    );
    expect(byKey.stdout).toBe(`${h.name}\n0\n`);
    const byPassword = await sshExec({ host: h.address, username: 'root', password: h.rootPassword }, 'hostname');
    expect(byPassword.stdout).toBe(`${h.name}\n`);
    await expect(
      sshExec({ host: h.address, username: 'root', password: `${h.rootPassword}x` }, 'true'),
    ).rejects.toThrow(/authentication/i);
  });

  it('has a sudo user whose sudo asks for the password', async () => {
    const h = lab.host(2);
    expect(h.sudoUser?.user).toBe('admin');
    const login = { host: h.address, username: 'admin', password: h.sudoUser?.password ?? '' };
    const noPassword = await sshExec(login, 'id -u; sudo -n true; echo "sudo-n=$?"');
    expect(noPassword.stdout).not.toMatch(/^0\n/);
    expect(noPassword.stdout).toContain('sudo-n=1');
    const withPassword = await sshExec({ ...login, stdin: `${h.sudoUser?.password}\n` }, 'sudo -S -p "" id -u');
    expect(withPassword.stdout).toBe('0\n');
    expect(lab.host(1).sudoUser).toBeUndefined();
  });

  it('connects hosts through the switch; cut isolates a host, heal restores it', async () => {
    const b = lab.host(2).address;
    expect((await lab.exec(1, `ping -c1 -W1 ${b}`)).exitCode).toBe(0);
    await lab.cut(2);
    expect((await lab.exec(1, `ping -c1 -W1 ${b}`)).exitCode).not.toBe(0);
    expect((await lab.exec(2, `ping -c1 -W1 ${lab.rootAddress}`)).exitCode).not.toBe(0);
    expect((await lab.exec(1, `ping -c1 -W1 ${lab.host(3).address}`)).exitCode).toBe(0);
    await lab.heal(2);
    expect((await lab.exec(1, `ping -c1 -W2 ${b}`)).exitCode).toBe(0);
  });

  it('blocks corosync UDP ports 5405-5412 and nothing else', async () => {
    const b = lab.host(2).address;
    const echo = await lab.spawnDaemon(2, ['node', '-e', UDP_ECHO], { logFile: '/var/log/udp-echo.log' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect((await lab.exec(1, udpAsk(b, 5405))).stdout.trim()).toBe('reply');
      await lab.blockCorosyncPorts(2);
      expect((await lab.exec(1, udpAsk(b, 5405))).stdout.trim()).toBe('timeout');
      expect((await lab.exec(1, udpAsk(b, 5413))).stdout.trim()).toBe('reply');
      await lab.unblockCorosyncPorts(2);
      expect((await lab.exec(1, udpAsk(b, 5405))).stdout.trim()).toBe('reply');
    } finally {
      await lab.killDaemon(echo);
    }
    expect(lab.daemons(2).map((d) => d.pid)).not.toContain(echo);
  });

  it('skews the clock that SSH sessions see, and only there', async () => {
    const h = lab.host(3);
    await lab.skewClock(3, 7200);
    const seen = Number(
      (await sshExec({ host: h.address, username: 'root', privateKey: lab.sshKey.privateKey }, 'date +%s')).stdout,
    );
    expect(Math.abs(seen - (Date.now() / 1000 + 7200))).toBeLessThanOrEqual(1);
    const other = Number(
      (await sshExec({ host: lab.host(1).address, username: 'root', privateKey: lab.sshKey.privateKey }, 'date +%s'))
        .stdout,
    );
    expect(Math.abs(other - Date.now() / 1000)).toBeLessThanOrEqual(1);
    await lab.skewClock(3, 0);
    const back = Number(
      (await sshExec({ host: h.address, username: 'root', privateKey: lab.sshKey.privateKey }, 'date +%s')).stdout,
    );
    expect(Math.abs(back - Date.now() / 1000)).toBeLessThanOrEqual(1);
  });

  it('makes a host look like a Proxmox node', async () => {
    await lab.fakeProxmox(1, {
      version: '8.2.4',
      guests: [
        { vmid: 100, name: 'web', kind: 'qemu' },
        { vmid: 200, name: 'dns', kind: 'lxc' },
      ],
    });
    const r = await sshExec(
      { host: lab.host(1).address, username: 'root', privateKey: lab.sshKey.privateKey },
      'pveversion; qm list; pct list',
    );
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('pve-manager/8.2.4/faa83925c9641325 (running kernel: 6.8.8-2-pve)');
    expect(lines[1]).toMatch(/^ +VMID NAME +STATUS +MEM\(MB\) +BOOTDISK\(GB\) PID/);
    expect(lines[2]).toMatch(/^ +100 web +running/);
    expect(lines[3]).toMatch(/^VMID +Status +Lock +Name/);
    expect(lines[4]).toMatch(/^200 +running +dns/);
    expect((await lab.exec(2, 'command -v pveversion || echo none')).stdout.trim()).toBe('none');
    const notClustered = await lab.exec(1, 'pvecm status');
    expect(notClustered.exitCode).toBe(255);
    expect(notClustered.stderr).toContain('is this node part of a cluster?');
    await lab.fakeProxmox(1, { version: '8.2.4', pveCorosyncConf: 'totem {\n  cluster_name: homelab\n}\n' });
    expect((await lab.exec(1, 'cat /etc/pve/corosync.conf')).stdout).toContain('cluster_name: homelab');
    expect((await lab.exec(2, 'ls /etc/pve')).stdout).toBe('');
  });

  it('streams exec output and kills a command at its timeout', async () => {
    const chunks: string[] = [];
    const r = await lab.exec(1, 'echo first; sleep 5; echo never', {
      timeoutMs: 700,
      onData: (c) => chunks.push(c.text),
    });
    expect(r.exitCode).toBe(124);
    expect(chunks.join('')).toBe('first\n');
    // Only the anchor's idle `sleep 3600` is left: the timed-out `sleep 5` died with its shell.
    expect((await lab.exec(1, 'pgrep -c sleep || true')).stdout.trim()).toBe('1');
  });

  it('regenerates host keys so a pinned key no longer matches', async () => {
    const h = lab.host(3);
    const before = (await sshExec({ host: h.address, username: 'root', password: h.rootPassword }, 'true')).hostKey;
    await lab.regenerateHostKeys(3);
    const after = (await sshExec({ host: h.address, username: 'root', password: h.rootPassword }, 'true')).hostKey;
    expect(after.length).toBeGreaterThan(0);
    expect(after.equals(before)).toBe(false);
  });

  it('tears down without leaving namespaces, links, mounts, processes or directories', async () => {
    pids = recordedPids(lab.id);
    expect(pids.length).toBeGreaterThanOrEqual(6);
    const id = lab.id;
    await lab.down();
    expect(labLeftovers(id, pids)).toEqual([]);
    await lab.down();
  });
});

describe.skipIf(!support.ok)('labDownStale', () => {
  it('removes a lab whose owner process died', async () => {
    const lab = await labUp({ hosts: 1 });
    try {
      const state = readState(lab.id);
      if (!state) {
        throw new Error('no state');
      }
      const pids = recordedPids(lab.id);
      // PID 0 with an impossible start time stands for an owner that crashed.
      writeState({ ...state, owner: { pid: 999_999_999, start: '0' } });
      const removed = await labDownStale();
      expect(removed).toContain(`lab ${lab.id}`);
      expect(labLeftovers(lab.id, pids)).toEqual([]);
    } finally {
      await lab.down();
    }
  });
});
