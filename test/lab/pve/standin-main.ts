/**
 * Entry of the Proxmox VE stand-in bundle (test/lab/pve/install.ts builds it with esbuild and
 * installs it in a lab host as /usr/local/lib/pve-standin/standin.cjs). /usr/local/sbin/pvecm,
 * qm, pct, pvesh, ha-manager, pveversion, pmxcfs, pve-ha-standin (CRM + LRM) and pve-standin-service are one-line wrappers: `node standin.cjs TOOL "$@"`.
 */
import { pctTool, pveshTool, qmTool } from './guest-tools';
import { pveversion } from './guests';
import { haDaemonLoop } from './ha-daemon';
import { haManager } from './ha-manager';
import { pmxcfsLoop } from './pmxcfs';
import { add, addnode, create, delnode, expected, nodes, parseArgs, status, updatecerts } from './pvecm';
import { qdeviceRemove, qdeviceSetup, serviceCommand } from './pvecm-qdevice';
import { PveError } from './sys';

function pvecm(argv: string[]): number {
  const [cmd, ...rest] = argv;
  if (cmd === 'qdevice') {
    const [sub, ...more] = rest;
    if (sub === 'setup') {
      qdeviceSetup(parseArgs(more));
      return 0;
    }
    if (sub === 'remove') {
      qdeviceRemove();
      return 0;
    }
    throw new PveError(`unknown command 'pvecm qdevice ${sub ?? ''}'\n`);
  }
  const args = parseArgs(rest);
  switch (cmd) {
    case 'create':
      create(args);
      return 0;
    case 'add':
      add(args);
      return 0;
    case 'addnode':
      addnode(args);
      return 0;
    case 'delnode':
      delnode(args);
      return 0;
    case 'status':
      return status();
    case 'nodes':
      return nodes();
    case 'expected':
      return expected(args);
    case 'updatecerts':
      updatecerts(args);
      return 0;
    case 'apiver':
      process.stdout.write('1\n');
      return 0;
    default:
      throw new PveError(
        `unknown command 'pvecm ${cmd ?? ''}' (the Quorate lab stand-in implements create, add, addnode, delnode, status, nodes, expected, qdevice setup|remove, updatecerts, apiver)\n`,
      );
  }
}

function main(argv: string[]): number {
  const [tool, ...rest] = argv;
  switch (tool) {
    case 'pvecm':
      return pvecm(rest);
    case 'qm':
      return qmTool(rest);
    case 'pct':
      return pctTool(rest);
    case 'pvesh':
      return pveshTool(rest);
    case 'ha-manager':
      return haManager(rest);
    case 'pveversion':
      return pveversion();
    case 'pmxcfs':
      return pmxcfsLoop();
    case 'pve-ha-standin':
      return haDaemonLoop();
    case 'pve-standin-service':
      return serviceCommand(rest);
    default:
      process.stderr.write(`pve stand-in: unknown tool ${tool ?? ''}\n`);
      return 2;
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (e instanceof PveError) {
    process.stderr.write(e.message.endsWith('\n') ? e.message : `${e.message}\n`);
    process.exitCode = 255;
  } else {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 255;
  }
}
