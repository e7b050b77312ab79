/**
 * `quorate`: the engine for people who like a terminal and for scripts (`--json`). Each topic lives in
 * its own module; this file only dispatches and turns thrown usage errors into exit code 2.
 */
import type { CliIo } from './io';
import { processIo, UsageError } from './io';
import { isDamagedFileError } from '../store/damaged';

const HELP = `quorate — build and watch a Proxmox-style corosync cluster

Usage: quorate <command> [options]

corosync.conf
  conf print FILE                     parse and print (byte-identical to the input)
  conf check FILE                     exit 0 if valid, else print FILE:LINE:COL: message lines, exit 1
  conf show FILE --json               the typed view
  conf edit FILE (--add-node NAME --id N --link0 ADDR [--link1 ADDR]… | --remove-node NAME |
                  --qdevice-host ADDR [--algorithm ffsplit|lms] [--qdevice-votes N] | --no-qdevice)
                 [-o OUT]             the edited file, config_version bumped

votequorum
  quorum FILE [--up a,b,c] [--partition a,b/c] [--qdevice-reachable-from 1,2] [--json]
  quorum table --nodes N [--qdevice] [--json]

machines
  hosts add ADDR [--user U] [--port P] (--key FILE | --password-stdin) [--trust SHA256:…] [--json]
  hosts trust ADDR --fingerprint SHA256:…
  hosts list [--json] | hosts remove ADDR
  bootstrap ADDR… [--json]            install the node agent (progress on stderr)
  facts ADDR [--json]                 what the agent knows about a machine
  probe ADDR ADDR [--port 5405] [--json]
  uninstall ADDR…

cluster
  preflight ADDR… [--link0 CIDR] [--json]
  create NAME --node ADDR… [--link0 IP] [--link1 IP] [--plan] [--json]
  join NAME --node ADDR [--link0 IP] [--link1 IP] [--plan] [--json]
  remove NAME --node NODE [--qdevice keep-lms|remove] [--force] [--plan] [--json]
  link NAME --linkN CIDR|IP [--priority P] [--plan] [--json]   add or change a redundant link
  qdevice setup NAME --host ADDR [--algorithm ffsplit|lms] [--yes] [--plan] [--json]
  qdevice remove NAME [--json]
  expected NAME --votes N --confirm NAME [--json]
  status NAME [--json]
  whatif NAME --down NODE[,NODE…][,qdevice] [--json]   would the rest stay quorate? (changes nothing)
  maintenance enable|disable NAME --node NODE [--confirm NAME] [--plan] [--json]
  rolling NAME --run CMD [--restart-services|--reboot] [--plan] [--json]   one node at a time; re-run resumes
  clusters [list] [--json]            the clusters Quorate manages
  clusters adopt --from ADDR [--json] register a running cluster (pcs, crmsh, Proxmox VE, by hand)
  clusters forget NAME                stop managing a cluster (no machine is touched)
  events NAME [--since ISO] [--local] [--json]   history: notices, operations, the agents' journals

alerts (push: ntfy, Gotify, JSON webhook, e-mail)
  alerts add (webhook --url URL | ntfy --url URL --topic T | gotify --url URL --token-stdin |
              email --smtp URL --from ADDR --to ADDR [--password-stdin])
             [--events LIST] [--from-agents] [--cluster NAME] [--json]     → {"id":…}
  alerts list [--json] | alerts remove ID | alerts test ID
  Operations are journaled: re-running an interrupted command resumes it; add --rollback to undo it.

high availability (Pacemaker on plain Debian)
  ha status NAME [--json]             where each resource runs, failed actions, the DC
  ha enable NAME [--no-fencing --confirm NAME] [--json]
  ha add NAME (--ip CIDR | --service UNIT) [--with ID] [--json]   (Proxmox VE: --vm VMID | --ct CTID)
  guests NAME [--json]                VMs and containers of a Proxmox VE cluster, per node, HA or not
  migrate NAME (--vm VMID|--ct CTID) --to NODE [--online] [--with-local-disks] [--plan] [--json]
  ha remove NAME ID | ha move NAME ID --to NODE | ha standby|unstandby NAME --node NODE
  ha requirements NAME [--vm VMID|--ct CTID]   votes, shared storage, watchdog, checked before ha add
  ha set NAME ID --state started|stopped|disabled|ignored   the resource's requested state
  (ha add on Proxmox VE: --allow-few-votes below three votes, --allow-local-disks for local disks)

app
  ui [--port N] [--no-open]           serve the app on 127.0.0.1 for a browser tab

State lives in $QUORATE_HOME (default: your OS app-data folder); secrets in the OS keyring.
`;

type Handler = (argv: string[], io: CliIo) => Promise<number>;

/** Modules are loaded on demand so `quorate conf …` never pays for ssh2 or the UI host. */
const commands: Record<string, () => Promise<Handler>> = {
  conf: async () => (await import('./conf-commands')).runConfCommand,
  quorum: async () => (await import('./quorum-commands')).runQuorumCommand,
  hosts: async () => (await import('./hosts')).runHostsCommand,
  bootstrap: async () => (await import('./agent-commands')).runBootstrapCommand,
  facts: async () => (await import('./agent-commands')).runFactsCommand,
  probe: async () => (await import('./agent-commands')).runProbeCommand,
  uninstall: async () => (await import('./agent-commands')).runUninstallCommand,
  preflight: async () => (await import('./cluster-commands')).runPreflightCommand,
  create: async () => (await import('./cluster-commands')).runCreateCommand,
  join: async () => (await import('./cluster-commands')).runJoinCommand,
  remove: async () => (await import('./cluster-commands')).runRemoveCommand,
  qdevice: async () => (await import('./cluster-commands')).runQdeviceCommand,
  expected: async () => (await import('./cluster-commands')).runExpectedCommand,
  status: async () => (await import('./cluster-commands')).runStatusCommand,
  link: async () => (await import('./cluster-commands')).runLinkCommand,
  whatif: async () => (await import('./maintenance-commands')).runWhatifCommand,
  maintenance: async () => (await import('./maintenance-commands')).runMaintenanceCommand,
  rolling: async () => (await import('./maintenance-commands')).runRollingCommand,
  clusters: async () => (await import('./clusters-command')).runClustersCommand,
  ha: async () => (await import('./ha-commands')).runHaCommand,
  guests: async () => (await import('./pve-commands')).runGuestsCommand,
  migrate: async () => (await import('./pve-commands')).runMigrateCommand,
  ui: async () => (await import('./ui')).runUiCommand,
  events: async () => (await import('./events-command')).runEventsCommand,
  alerts: async () => (await import('./alerts-command')).runAlertsCommand,
};

export function registerCommand(name: string, load: () => Promise<Handler>): void {
  commands[name] = load;
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(HELP);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    io.stdout('quorate 0.1.0\n');
    return 0;
  }
  const load = commands[command];
  if (!load) {
    io.stderr(`quorate: unknown command "${command}"\nhint: run "quorate --help" for the list of commands\n`);
    return 2;
  }
  try {
    return await (
      await load()
    )(rest, io);
  } catch (e) {
    if (e instanceof UsageError || isParseArgsError(e)) {
      io.stderr(`quorate ${command}: ${(e as Error).message}\nhint: run "quorate --help"\n`);
      return 2;
    }
    if (isMissingFile(e)) {
      io.stderr(`quorate ${command}: ${(e as Error).message}\nhint: check the path\n`);
      return 1;
    }
    if (isDamagedFileError(e)) {
      io.stderr(`quorate ${command}: ${e.message}\nhint: ${e.hint}\n`);
      return 1;
    }
    throw e;
  }
}

function isParseArgsError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function isMissingFile(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES';
}
