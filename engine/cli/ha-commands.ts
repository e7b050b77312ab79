/**
 * `quorate ha status|enable|add|requirements|set|remove|move|standby|unstandby`: a thin client of the HA use cases
 * (engine/api/service-ha.ts) — parse flags, call the handler, print text or `--json`. The JSON shapes
 * are fixed (issue 13): scripts depend on them. Exit 0 on success, 1 when refused or failed, 2 on
 * usage errors. Progress goes to stderr.
 */
import { parseArgs } from 'node:util';
import type { HaProgressLine, HaRequirement, QuorateApi, RequestedState } from '../api/contract';
import { REQUESTED_STATES, REQUESTED_STATE_WORDS } from '../api/contract';
import type { CliIo } from './io';
import { failWith, UsageError } from './io';
import type { CliServiceOptions } from './service';
import { withService } from './service';

/** The use cases `ha` calls: the service's handlers (or, in tests, an HA service of their own). */
export type HaHandlers = Pick<
  QuorateApi,
  'haStatus' | 'haEnable' | 'haAdd' | 'haRemove' | 'haMove' | 'haStandby' | 'haRequirements' | 'haSet'
>;

export interface HaCommandDeps extends CliServiceOptions {
  /** Replaces the service (tests); default: the app's service over the machines in the state folder. */
  readonly handlers?: HaHandlers;
}

const USAGE = `usage:
  quorate ha status NAME [--json]
  quorate ha enable NAME [--no-fencing --confirm NAME] [--json]
  quorate ha add NAME (--ip CIDR | --service UNIT | --vm XMLFILE) [--with ID] [--id ID] [--json]
  quorate ha add NAME (--vm VMID | --ct CTID) [--allow-few-votes] [--allow-local-disks] [--json]   (Proxmox VE)
  quorate ha requirements NAME [--vm VMID | --ct CTID] [--json]
  quorate ha set NAME ID --state started|stopped|disabled|ignored [--json]
  quorate ha remove NAME ID [--json]
  quorate ha move NAME ID --to NODE [--json]
  quorate ha standby|unstandby NAME --node NODE [--json]`;

export async function runHaCommand(argv: string[], io: CliIo, deps: HaCommandDeps = {}): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      'no-fencing': { type: 'boolean', default: false },
      confirm: { type: 'string' },
      ip: { type: 'string' },
      service: { type: 'string' },
      vm: { type: 'string' },
      ct: { type: 'string' },
      with: { type: 'string' },
      id: { type: 'string' },
      to: { type: 'string' },
      node: { type: 'string' },
      state: { type: 'string' },
      'allow-few-votes': { type: 'boolean', default: false },
      'allow-local-disks': { type: 'boolean', default: false },
    },
  });
  const json = values.json;
  const cluster = positionals[0];
  if (!sub || !cluster) {
    throw new UsageError(`ha: expected a subcommand and a cluster NAME\n${USAGE}`);
  }
  const clusterName: string = cluster;
  if (deps.handlers) {
    return run(deps.handlers);
  }
  return withService(deps, async (service) => {
    const off = service.events.subscribe((event, payload) => {
      if (event === 'onDidHaProgress') {
        const p = payload as HaProgressLine;
        io.stderr(`${p.node}: ${p.line}\n`);
      }
    });
    try {
      return await run(service.handlers);
    } finally {
      off();
    }
  });

  function guestFlags(): { vm?: string; ct?: string } {
    return {
      ...(values.vm !== undefined ? { vm: values.vm } : {}),
      ...(values.ct !== undefined ? { ct: values.ct } : {}),
    };
  }

  function consents(): { allowFewVotes?: boolean; allowLocalDisks?: boolean } {
    return {
      ...(values['allow-few-votes'] ? { allowFewVotes: true } : {}),
      ...(values['allow-local-disks'] ? { allowLocalDisks: true } : {}),
    };
  }

  function printRequirements(checks: readonly HaRequirement[]): void {
    for (const c of checks) {
      io.stdout(`  ${c.result.padEnd(9)} ${c.title}\n            ${c.message}\n`);
    }
  }

  async function run(service: HaHandlers): Promise<number> {
    const cluster = clusterName;
    switch (sub) {
      case 'status': {
        const r = await service.haStatus({ cluster });
        if (!r.ok) {
          return failWith(io, json, r);
        }
        const v = r.value;
        if (json) {
          io.stdout(
            `${JSON.stringify({ engine: v.engine, resources: v.resources.map((x) => ({ id: x.id, state: x.state, node: x.node })) })}\n`,
          );
          return 0;
        }
        if (v.engine === null) {
          io.stdout(`No HA engine runs on ${cluster}. Enable Pacemaker: quorate ha enable ${cluster}\n`);
          return 0;
        }
        io.stdout(`HA on ${cluster}: ${v.engine}, DC ${v.dc ?? '(none)'}, ${v.quorate ? 'quorate' : 'NOT quorate'}`);
        io.stdout(v.fencing === false ? ', fencing DISABLED\n' : '\n');
        for (const n of v.nodes) {
          const flags = [
            n.online ? 'online' : 'OFFLINE',
            n.standby ? 'standby' : '',
            n.maintenance ? 'maintenance' : '',
            n.isDc ? 'DC' : '',
          ]
            .filter((x) => x)
            .join(', ');
          io.stdout(`  node ${n.name.padEnd(12)} ${flags}\n`);
        }
        for (const x of v.resources) {
          io.stdout(`  ${x.id.padEnd(24)} ${x.state.padEnd(9)} ${x.node ?? '-'}  (${x.agent})\n`);
        }
        for (const f of v.failures) {
          io.stdout(`  failed: ${f.resource} ${f.task} on ${f.node}: ${f.reason}\n`);
        }
        return 0;
      }
      case 'enable': {
        if (values.confirm !== undefined && !values['no-fencing']) {
          throw new UsageError('ha enable: --confirm goes with --no-fencing');
        }
        const r = await service.haEnable({
          cluster,
          ...(values['no-fencing'] ? { noFencing: true } : {}),
          ...(values.confirm !== undefined ? { confirm: values.confirm } : {}),
        });
        if (!r.ok) {
          return failWith(io, json, r);
        }
        const v = r.value;
        if (json) {
          io.stdout(
            `${JSON.stringify({ ok: true, engine: v.engine, alreadyEnabled: v.alreadyEnabled, dc: v.dc, fencing: v.fencing.enabled, installed: v.installed, started: v.started, properties: v.properties, notes: v.notes })}\n`,
          );
          return 0;
        }
        io.stdout(
          v.alreadyEnabled
            ? `HA was already enabled on ${cluster} (Pacemaker).\n`
            : `HA enabled on ${cluster} (Pacemaker).\n`,
        );
        io.stdout(`Designated Controller: ${v.dc}\n`);
        for (const p of v.properties) {
          io.stdout(`  set ${p}\n`);
        }
        if (!v.fencing.enabled) {
          io.stdout(
            `\nWARNING: fencing is disabled. ${v.fencing.explanation}\nWhat exists:\n${v.fencing.options.map((o) => `  - ${o}`).join('\n')}\n`,
          );
        }
        for (const n of v.notes) {
          io.stdout(`note: ${n}\n`);
        }
        return 0;
      }
      case 'requirements': {
        const r = await service.haRequirements({ cluster, ...guestFlags(), ...consents() });
        if (!r.ok) {
          return failWith(io, json, r);
        }
        if (json) {
          io.stdout(`${JSON.stringify({ ok: true, ...r.value })}\n`);
        } else {
          printRequirements(r.value.checks);
        }
        return r.value.consentNeeded.length > 0 ? 1 : 0;
      }
      case 'set': {
        const id = positionals[1];
        const state = values.state;
        if (!id || !state || !(REQUESTED_STATES as readonly string[]).includes(state)) {
          throw new UsageError(`ha set: expected NAME ID --state ${REQUESTED_STATES.join('|')}`);
        }
        const r = await service.haSet({ cluster, id, state: state as RequestedState });
        if (!r.ok) {
          return failWith(io, json, r);
        }
        const v = r.value;
        if (json) {
          io.stdout(
            `${JSON.stringify({ ok: true, id, requested: v.requested, state: v.resource?.state ?? null, node: v.resource?.node ?? null })}\n`,
          );
        } else {
          io.stdout(
            `${id}: requested ${v.requested} (${REQUESTED_STATE_WORDS[v.requested]}); now ${v.resource ? `${v.resource.state}${v.resource.node ? ` on ${v.resource.node}` : ''}` : 'not reported yet'}\n`,
          );
        }
        return 0;
      }
      case 'add': {
        if ((values.vm !== undefined && /^\d+$/.test(values.vm)) || values.ct !== undefined) {
          // Proxmox guests: the HA requirements first, so the user reads them before anything changes.
          const req = await service.haRequirements({ cluster, ...guestFlags(), ...consents() });
          if (req.ok && !json) {
            io.stdout(`HA requirements on ${cluster}:\n`);
            printRequirements(req.value.checks);
          }
        }
        const r = await service.haAdd({
          cluster,
          ...(values.ip !== undefined ? { ip: values.ip } : {}),
          ...(values.service !== undefined ? { service: values.service } : {}),
          ...(values.vm !== undefined ? { vm: values.vm } : {}),
          ...(values.ct !== undefined ? { ct: values.ct } : {}),
          ...(values.with !== undefined ? { with: values.with } : {}),
          ...(values.id !== undefined ? { id: values.id } : {}),
          ...consents(),
        });
        if (!r.ok) {
          return failWith(io, json, r);
        }
        const v = r.value;
        io.stdout(
          json
            ? `${JSON.stringify({ ok: true, ...v })}\n`
            : `${v.id} added: ${v.state}${v.node ? ` on ${v.node}` : ''}${v.with ? ` (runs with ${v.with})` : ''}\n`,
        );
        return v.state === 'failed' || v.state === 'blocked' ? 1 : 0;
      }
      case 'remove': {
        const id = positionals[1];
        if (!id) {
          throw new UsageError('ha remove: expected NAME ID');
        }
        const r = await service.haRemove({ cluster, id });
        if (!r.ok) {
          return failWith(io, json, r);
        }
        io.stdout(json ? `${JSON.stringify({ ok: true, id })}\n` : `${id} removed\n`);
        return 0;
      }
      case 'move': {
        const id = positionals[1];
        if (!id || !values.to) {
          throw new UsageError('ha move: expected NAME ID --to NODE');
        }
        const r = await service.haMove({ cluster, id, to: values.to });
        if (!r.ok) {
          return failWith(io, json, r);
        }
        io.stdout(
          json
            ? `${JSON.stringify({ ok: true, id, node: r.value.node, state: r.value.state })}\n`
            : `${id} runs on ${r.value.node}\n`,
        );
        return 0;
      }
      case 'standby':
      case 'unstandby': {
        if (!values.node) {
          throw new UsageError(`ha ${sub}: expected NAME --node NODE`);
        }
        const r = await service.haStandby({ cluster, node: values.node, standby: sub === 'standby' });
        if (!r.ok) {
          return failWith(io, json, r);
        }
        const v = r.value;
        if (json) {
          io.stdout(
            `${JSON.stringify({ ok: true, node: v.node, standby: v.standby, resources: v.resources.map((x) => ({ id: x.id, state: x.state, node: x.node })) })}\n`,
          );
        } else {
          io.stdout(`${v.node} ${v.standby ? 'is in standby' : 'is back in service'}\n`);
          for (const x of v.resources) {
            io.stdout(`  ${x.id} ${x.state} ${x.node ?? '-'}\n`);
          }
        }
        return 0;
      }
      default:
        throw new UsageError(`ha: unknown subcommand "${sub}"\n${USAGE}`);
    }
  }
}
