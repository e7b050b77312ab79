/**
 * `npm run lab -- up N [--sudo-user I,J] | down [ID] [--all] | cut H | heal H | block H | unblock H |
 * skew H SECONDS | exec H CMD… | status [--json]` (as root). Labs made here persist until `down`;
 * `--lab ID` (before the command or among its arguments) picks one; with several up and no `--lab`,
 * commands that act on a lab refuse and list them instead of guessing.
 */
import { chooseLab, parseLabArgs } from './cli-args';
import { labAttach, labDownId, labDownStale, labList, labSupport, labUp, type Lab } from './lab';
import { readState } from './state.fs';

const USAGE = `usage: npm run lab -- <command>   (as root: sudo npm run lab -- …)
  up N [--sudo-user 1,2] [--pve | --pve-hosts 1,2]
                            start N hosts (1..20); prints addresses and passwords;
                            --pve: Proxmox VE stand-in nodes (test/lab/pve/)
  down [ID] [--all]         tear down lab ID, or every lab made here plus stale ones; --all: every lab
  status [--json]           list labs
  cut H | heal H            take host H (index or name) off the switch / back on
  block H | unblock H       drop / allow UDP 5405-5412 inside host H
  skew H SECONDS            libfaketime offset for host H's SSH sessions (0: real clock)
  exec H CMD...             run CMD as root inside host H
  options: --lab ID         which lab (before the command or after it; needed when several are up)`;

function takeOption(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) {
    return undefined;
  }
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

function pickLab(asked: number | undefined): Lab {
  const up = labList()
    .filter((l) => readState(l.id) !== undefined)
    .map((l) => l.id);
  const chosen = chooseLab(asked, up);
  if (!chosen.ok) {
    throw new Error(chosen.message);
  }
  return labAttach(chosen.id);
}

function hostArg(v: string | undefined): string | number {
  if (v === undefined) {
    throw new Error('which host? (index or name)');
  }
  return /^\d+$/.test(v) ? Number(v) : v;
}

function describe(lab: Lab): string {
  const lines = [
    `lab ${lab.id}: 198.18.${lab.id}.0/24 (this machine: ${lab.rootAddress}), key ${lab.sshKey.privateKeyPath}`,
  ];
  for (const h of lab.hosts) {
    let line = `  ${h.name}  ${h.address}  root password ${h.rootPassword}`;
    if (h.sudoUser) {
      line += `  sudo user ${h.sudoUser.user} / ${h.sudoUser.password}`;
    }
    lines.push(line);
  }
  lines.push(
    `  ssh -i ${lab.sshKey.privateKeyPath} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@${lab.hosts[0]?.address ?? ''}`,
  );
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseLabArgs(argv);
  const args = [...parsed.args];
  const cmd = parsed.command;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(USAGE);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd !== 'status') {
    const support = labSupport();
    if (!support.ok) {
      console.error(`lab: ${support.reason}`);
      return 1;
    }
  }
  switch (cmd) {
    case 'up': {
      const sudo = takeOption(args, '--sudo-user');
      // --pve: every host a Proxmox VE stand-in node; --pve-hosts 1,2: only those.
      const pveHosts = takeOption(args, '--pve-hosts');
      const pve = args.includes('--pve');
      const n = Number(args.filter((a) => a !== '--pve')[0] ?? '3');
      const lab = await labUp({
        hosts: n,
        persistent: true,
        ...(sudo ? { sudoUser: sudo.split(',').map(Number) } : {}),
        ...(pveHosts ? { pve: pveHosts.split(',').map(Number) } : pve ? { pve: true as const } : {}),
      });
      console.log(describe(lab));
      return 0;
    }
    case 'down': {
      const all = args.includes('--all');
      const id = parsed.lab !== undefined ? String(parsed.lab) : args.find((a) => /^\d+$/.test(a));
      if (id !== undefined) {
        await labDownId(Number(id));
        console.log(`lab ${id} down`);
        return 0;
      }
      for (const l of labList()) {
        if (all || l.persistent) {
          await labDownId(l.id);
          console.log(`lab ${l.id} down`);
        }
      }
      for (const r of await labDownStale()) {
        console.log(`${r} down (stale)`);
      }
      return 0;
    }
    case 'status': {
      const labs = labList();
      if (args.includes('--json')) {
        console.log(JSON.stringify(labs, null, 2));
        return 0;
      }
      if (labs.length === 0) {
        console.log('no labs');
      }
      for (const l of labs) {
        const who = l.persistent
          ? 'persistent (npm run lab)'
          : l.ownerAlive
            ? 'owned by a running process'
            : 'STALE (owner gone)';
        console.log(`lab ${l.id}: ${who}`);
        for (const h of l.hosts) {
          console.log(`  ${h.name}  ${h.address}  ${h.up ? 'up' : 'DOWN'}`);
        }
      }
      return 0;
    }
    case 'cut':
    case 'heal':
    case 'block':
    case 'unblock': {
      const lab = pickLab(parsed.lab);
      const h = hostArg(args[0]);
      if (cmd === 'cut') {
        await lab.cut(h);
      } else if (cmd === 'heal') {
        await lab.heal(h);
      } else if (cmd === 'block') {
        await lab.blockCorosyncPorts(h);
      } else {
        await lab.unblockCorosyncPorts(h);
      }
      console.log(`lab ${lab.id}: ${cmd} ${lab.host(h).name}`);
      return 0;
    }
    case 'skew': {
      const lab = pickLab(parsed.lab);
      await lab.skewClock(hostArg(args[0]), Number(args[1] ?? '0'));
      return 0;
    }
    case 'exec': {
      const lab = pickLab(parsed.lab);
      const r = await lab.exec(hostArg(args[0]), args.slice(1).join(' '));
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      return r.exitCode ?? 1;
    }
    default:
      console.error(`lab: unknown command ${cmd}\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
