/**
 * The Pacemaker implementation of `HaEngine`: Pacemaker's own tools (crm_mon, cibadmin,
 * crm_attribute, crm_resource) run on the cluster's nodes through each node's `CommandRunner` (the
 * SSH session), with the command text built in scripts.ts. XML goes on stdin, never on a command line.
 */
import type { Result } from '../result';
import { err, ok } from '../result';
import type { CommandOutput, CommandRunner, RunOptions } from '../ssh/runner';
import { parseIpAddrs } from './address';
import { byIdXml, constraintsMentioning, followConstraintsXml, primitiveXml } from './cib';
import { parseCrmMon } from './crm-mon';
import type { HaEngine, HaNodeFacts } from './engine';
import {
  cibCreateCommand,
  cibDeleteCommand,
  clearMoveCommand,
  crmMonCommand,
  haFactsScript,
  installPackagesScript,
  ipAddrsCommand,
  moveResourceCommand,
  parseKeyValues,
  probeAddressScript,
  setMetaCommand,
  setPropertyCommand,
  standbyCommand,
  startResourceCommand,
  startPacemakerScript,
  stopResourceCommand,
  unitExistsScript,
} from './scripts';
import { pacemakerMetaFor } from './requested-state';
import type { HaStatus } from './types';
import { parseXml } from './xml';
import { pollStatus } from './poll';

export interface HaNodeRunner {
  /** The node's name in the nodelist (= Pacemaker's node name). */
  readonly node: string;
  readonly runner: CommandRunner;
}

const STATUS_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 60_000;

export function createPacemakerEngine(nodes: readonly HaNodeRunner[]): HaEngine {
  const runnerOf = (node: string): Result<CommandRunner> => {
    const n = nodes.find((x) => x.node === node);
    return n
      ? ok(n.runner)
      : err(
          'ha.unknown-node',
          `${node} is not a reachable node of this cluster`,
          'Check the node name (quorate status NAME).',
        );
  };

  const run = async (node: string, command: string, options: RunOptions = {}): Promise<Result<CommandOutput>> => {
    const r = runnerOf(node);
    if (!r.ok) {
      return r;
    }
    return r.value.run(command, { timeoutMs: COMMAND_TIMEOUT_MS, ...options });
  };

  /** Runs on `node`; a non-zero exit is an error carrying what the tool said. */
  const must = async (
    node: string,
    command: string,
    what: string,
    options: RunOptions = {},
  ): Promise<Result<string>> => {
    const r = await run(node, command, options);
    if (!r.ok) {
      return r;
    }
    if (r.value.exitCode !== 0) {
      const said = `${r.value.stderr}${r.value.stdout}`.trim().split('\n').slice(-5).join(' ');
      return err(
        'ha.command-failed',
        `${what} failed on ${node} (exit ${r.value.exitCode}): ${said}`,
        'Check Pacemaker on that node (crm_mon -1).',
      );
    }
    return ok(r.value.stdout);
  };

  /** Some node that answers; Pacemaker's tools work from any node of the quorate partition. */
  const anyNode = async (): Promise<Result<string>> => {
    const s = await status();
    if (!s.ok) {
      return s;
    }
    const node = s.value.dc !== null && nodes.some((n) => n.node === s.value.dc) ? s.value.dc : readFrom;
    return node ? ok(node) : err('ha.no-node', 'no node answers', 'Is the cluster up?');
  };

  let readFrom: string | null = null;
  /** Nodes with a status read still outstanding: a cut node's session must not pile up reads. */
  const busy = new Set<string>();

  const readOne = async (node: string, runner: CommandRunner): Promise<Result<HaStatus>> => {
    busy.add(node);
    try {
      const r = await runner.run(crmMonCommand(), { timeoutMs: STATUS_TIMEOUT_MS });
      if (!r.ok) {
        return r;
      }
      // crm_mon prints its XML document also when it fails; the document says why.
      if (r.value.stdout.includes('<pacemaker-result')) {
        return parseCrmMon(r.value.stdout);
      }
      return err(
        'ha.not-running',
        `Pacemaker does not answer on ${node}: ${r.value.stderr.trim()}`,
        'Run `quorate ha enable NAME`.',
      );
    } finally {
      busy.delete(node);
    }
  };

  /** All nodes at once; the first quorate answer wins, else the first answer, else the first error. */
  const status = (): Promise<Result<HaStatus>> =>
    new Promise((resolve) => {
      const candidates = nodes.filter((n) => !busy.has(n.node));
      if (candidates.length === 0) {
        resolve(err('ha.no-node', 'no node of the cluster answers', 'Check the machines (quorate status NAME).'));
        return;
      }
      let pending = candidates.length;
      let fallback: { node: string; r: Result<HaStatus> } | undefined;
      let done = false;
      for (const n of candidates) {
        void readOne(n.node, n.runner).then((r) => {
          pending--;
          if (done) {
            return;
          }
          if (r.ok && r.value.quorate === true) {
            done = true;
            readFrom = n.node;
            resolve(r);
            return;
          }
          if (!fallback || (!fallback.r.ok && r.ok)) {
            fallback = { node: n.node, r };
          }
          if (pending === 0) {
            done = true;
            readFrom = fallback.node;
            resolve(fallback.r);
          }
        });
      }
    });

  const setProp = (node: string, type: 'crm_config' | 'rsc_defaults', name: string, value: string) =>
    must(node, setPropertyCommand(type, name, value), `setting ${name}=${value}`);

  return {
    name: 'pacemaker',
    status,

    async inspect() {
      const facts: HaNodeFacts[] = [];
      for (const n of nodes) {
        const f = await must(n.node, `${haFactsScript()}\n${ipAddrsCommand()}`, 'reading what is installed');
        if (!f.ok) {
          return f;
        }
        const kv = parseKeyValues(f.value);
        facts.push({
          node: n.node,
          missing: (kv.get('missing') ?? '').split(' ').filter((x) => x),
          systemd: kv.get('systemd') === 'yes',
          apt: kv.get('apt') === 'yes',
          libvirt: kv.get('libvirt') === 'yes',
          running: kv.get('running') === 'yes',
          addresses: parseIpAddrs(f.value),
        });
      }
      return ok(facts);
    },

    async install(node, progress) {
      const r = await run(node, installPackagesScript(), {
        timeoutMs: 20 * 60_000,
        progress: (c) => {
          for (const line of c.text.split('\n')) {
            if (line.trim()) {
              progress(node, line.trim());
            }
          }
        },
      });
      if (!r.ok) {
        return r;
      }
      if (r.value.exitCode !== 0) {
        return err(
          'ha.install-failed',
          `apt-get could not install pacemaker on ${node}: ${r.value.stderr.trim().split('\n').slice(-3).join(' ')}`,
          'Fix apt on that node (apt-get update; a reachable mirror), then run quorate ha enable again.',
        );
      }
      return ok(undefined);
    },

    async start(node) {
      const r = await must(node, startPacemakerScript(), 'starting pacemakerd', { timeoutMs: 90_000 });
      if (!r.ok) {
        return r;
      }
      return ok(r.value.includes('already running') ? 'already-running' : 'started');
    },

    async configure({ fencing }) {
      const node = await anyNode();
      if (!node.ok) {
        return node;
      }
      const said: string[] = [];
      if (!fencing) {
        const r = await setProp(node.value, 'crm_config', 'stonith-enabled', 'false');
        if (!r.ok) {
          return r;
        }
        said.push('stonith-enabled=false: no fencing (your typed consent); a split cannot be recovered safely');
      }
      const q = await setProp(node.value, 'crm_config', 'no-quorum-policy', 'stop');
      if (!q.ok) {
        return q;
      }
      said.push(
        'no-quorum-policy=stop: a partition without quorum stops its resources, so only the quorate side runs them',
      );
      const s = await setProp(node.value, 'rsc_defaults', 'resource-stickiness', '100');
      if (!s.ok) {
        return s;
      }
      said.push('resource-stickiness=100: a resource stays where it runs when a failed node comes back (no flapping)');
      return ok(said);
    },

    async add(spec, follow) {
      const node = await anyNode();
      if (!node.ok) {
        return node;
      }
      // A follower is created stopped, constrained, then started: it never starts on a wrong node first.
      const xml = primitiveXml(spec, { stopped: follow !== null });
      if (!xml.ok) {
        return xml;
      }
      const created = await must(node.value, cibCreateCommand('resources'), `creating ${spec.id}`, {
        stdin: xml.value,
      });
      if (!created.ok) {
        return created;
      }
      if (follow) {
        const cons = followConstraintsXml(spec.id, follow);
        if (!cons.ok) {
          return cons;
        }
        for (const c of cons.value) {
          const r = await must(node.value, cibCreateCommand('constraints'), `constraining ${spec.id} to ${follow}`, {
            stdin: c,
          });
          if (!r.ok) {
            return r;
          }
        }
        const started = await must(node.value, startResourceCommand(spec.id), `starting ${spec.id}`);
        if (!started.ok) {
          return started;
        }
      }
      return ok(undefined);
    },

    async remove(id) {
      const node = await anyNode();
      if (!node.ok) {
        return node;
      }
      const stopped = await must(node.value, stopResourceCommand(id), `stopping ${id}`);
      if (!stopped.ok) {
        return stopped;
      }
      for (let i = 0; i < 60; i++) {
        const s = await status();
        const r = s.ok ? s.value.resources.find((x) => x.id === id) : undefined;
        if (!r || r.state === 'stopped' || r.state === 'failed') {
          break;
        }
        await new Promise((res) => setTimeout(res, 500));
      }
      const cons = await must(node.value, 'cibadmin --query --scope constraints', 'reading constraints');
      if (cons.ok) {
        const doc = parseXml(cons.value);
        for (const [tag, cid] of doc.ok ? constraintsMentioning(doc.value.children, id) : []) {
          const d = await must(node.value, cibDeleteCommand('constraints', byIdXml(tag, cid)), `deleting ${cid}`);
          if (!d.ok) {
            return d;
          }
        }
      }
      return must(node.value, cibDeleteCommand('resources', byIdXml('primitive', id)), `deleting ${id}`).then((r) =>
        r.ok ? ok(undefined) : r,
      );
    },

    async move(id, to) {
      const node = await anyNode();
      if (!node.ok) {
        return node;
      }
      const r = await must(node.value, moveResourceCommand(id, to), `moving ${id} to ${to}`);
      return r.ok ? ok(undefined) : r;
    },

    async clearMove(id) {
      const node = await anyNode();
      if (!node.ok) {
        return node;
      }
      const r = await must(node.value, clearMoveCommand(id), `clearing the move constraint of ${id}`);
      return r.ok ? ok(undefined) : r;
    },

    async setState(id, state) {
      const meta = pacemakerMetaFor(state);
      if (!meta.ok) {
        return meta;
      }
      const node = await anyNode();
      if (!node.ok) {
        return node;
      }
      const managed = await must(
        node.value,
        setMetaCommand(id, 'is-managed', String(meta.value.isManaged)),
        `setting is-managed of ${id}`,
      );
      if (!managed.ok || meta.value.targetRole === undefined) {
        return managed.ok ? ok(undefined) : managed;
      }
      const role = await must(
        node.value,
        setMetaCommand(id, 'target-role', meta.value.targetRole),
        `setting target-role of ${id}`,
      );
      return role.ok ? ok(undefined) : role;
    },

    async standby(target, on) {
      const node = await anyNode();
      if (!node.ok) {
        return node;
      }
      const r = await must(node.value, standbyCommand(target, on), `${on ? 'standby' : 'unstandby'} ${target}`);
      return r.ok ? ok(undefined) : r;
    },

    async unitOn(node, unit) {
      const r = await must(node, unitExistsScript(unit), `looking for ${unit}`);
      if (!r.ok) {
        return r;
      }
      const v = parseKeyValues(r.value).get('unit');
      return ok(v === 'yes' ? 'systemd' : v === 'lsb' ? 'lsb' : null);
    },

    async addressInUse(node, ip, dev) {
      const r = await must(node, probeAddressScript(ip, dev), `probing ${ip}`, { timeoutMs: 15_000 });
      return r.ok ? ok(parseKeyValues(r.value).get('inuse') === 'yes') : r;
    },

    watch: (onStatus, intervalMs) => pollStatus(status, onStatus, intervalMs),
  };
}
