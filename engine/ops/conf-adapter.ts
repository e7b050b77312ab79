/**
 * corosync.conf ⇄ `ClusterSpec`, for the files Quorate itself owns (the `corosync` provider writes
 * the whole file, as pcs does). A small adapter in this room: engine/corosync holds the lossless
 * parser/printer for user-edited files; this one only needs the values a plan reasons about, and
 * renders a file in the layout pvecm writes.
 */
import { err, ok, type Result } from '../result';
import type { LinkNumber, QdeviceAlgorithm } from '../model/cluster';
import type { ClusterSpec, SpecNode } from './spec';

interface Section {
  readonly values: Record<string, string>;
  readonly children: { name: string; section: Section }[];
}

function parseSections(text: string): Result<Section> {
  const root: Section = { values: {}, children: [] };
  const stack: Section[] = [root];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*$/, '').trim();
    if (!line) continue;
    const top = stack[stack.length - 1]!;
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^([A-Za-z0-9_.-]+)\s*\{$/))) {
      const section: Section = { values: {}, children: [] };
      top.children.push({ name: m[1]!, section });
      stack.push(section);
    } else if (line === '}') {
      if (stack.length === 1) return err('corosync.parse', `corosync.conf line ${i + 1}: unexpected "}"`, 'Check the braces in corosync.conf.');
      stack.pop();
    } else if ((m = line.match(/^([A-Za-z0-9_.-]+)\s*:\s*(.*)$/))) {
      top.values[m[1]!] = m[2]!.trim();
    } else {
      return err('corosync.parse', `corosync.conf line ${i + 1}: cannot read "${line}"`, 'Check the file with `corosync -t`.');
    }
  }
  if (stack.length !== 1) return err('corosync.parse', 'corosync.conf: missing closing brace', 'Check the braces in corosync.conf.');
  return ok(root);
}

const child = (s: Section, name: string): Section | undefined => s.children.find((c) => c.name === name)?.section;
const children = (s: Section, name: string): Section[] => s.children.filter((c) => c.name === name).map((c) => c.section);
const yes = (v: string | undefined): boolean => v === '1' || v === 'yes' || v === 'on';

/** Read the values a plan needs from a corosync.conf text. */
export function specFromConf(text: string): Result<ClusterSpec> {
  const parsed = parseSections(text);
  if (!parsed.ok) return parsed;
  const root = parsed.value;
  const totem = child(root, 'totem');
  const nodelist = child(root, 'nodelist');
  const quorum = child(root, 'quorum');
  if (!totem || !nodelist) return err('corosync.incomplete', 'corosync.conf has no totem or nodelist section', 'This file was not written for a knet cluster; recreate it.');
  const nodes: SpecNode[] = children(nodelist, 'node').map((n) => {
    const addresses: Partial<Record<LinkNumber, string>> = {};
    for (const [k, v] of Object.entries(n.values)) {
      const m = k.match(/^ring([0-7])_addr$/);
      if (m) addresses[Number(m[1]) as LinkNumber] = v;
    }
    return { name: n.values.name ?? '', nodeid: Number(n.values.nodeid), addresses, ...(n.values.quorum_votes ? { votes: Number(n.values.quorum_votes) } : {}) };
  });
  const linkPriorities: Partial<Record<LinkNumber, number>> = {};
  for (const i of children(totem, 'interface')) {
    if (i.values.knet_link_priority !== undefined) linkPriorities[Number(i.values.linknumber ?? 0) as LinkNumber] = Number(i.values.knet_link_priority);
  }
  const device = quorum ? child(quorum, 'device') : undefined;
  const net = device ? child(device, 'net') : undefined;
  const spec: ClusterSpec = {
    name: totem.values.cluster_name ?? '',
    configVersion: Number(totem.values.config_version ?? 0),
    nodes,
    linkPriorities,
    twoNode: yes(quorum?.values.two_node),
    lastManStanding: yes(quorum?.values.last_man_standing),
    autoTieBreaker: yes(quorum?.values.auto_tie_breaker),
    ...(quorum?.values.expected_votes ? { expectedVotes: Number(quorum.values.expected_votes) } : {}),
    ...(net?.values.host ? {
      qdevice: {
        host: net.values.host,
        algorithm: (net.values.algorithm ?? 'ffsplit') as QdeviceAlgorithm,
        votes: Number(device?.values.votes ?? 1),
      },
    } : {}),
  };
  return ok(spec);
}

/** Render the whole file, in the section order and key style pvecm uses. */
export function renderConf(spec: ClusterSpec): string {
  const out: string[] = [];
  out.push('# Written by Quorate. Edit through Quorate (or keep config_version increasing and the file identical on every node).');
  out.push('logging {', '  debug: off', '  to_syslog: yes', '}', '');
  out.push('nodelist {');
  for (const n of spec.nodes) {
    out.push('  node {', `    name: ${n.name}`, `    nodeid: ${n.nodeid}`, `    quorum_votes: ${n.votes ?? 1}`);
    for (const l of Object.keys(n.addresses).map(Number).sort()) out.push(`    ring${l}_addr: ${n.addresses[l as LinkNumber]}`);
    out.push('  }');
  }
  out.push('}', '');
  out.push('quorum {', '  provider: corosync_votequorum');
  if (spec.twoNode) out.push('  two_node: 1');
  if (spec.expectedVotes !== undefined) out.push(`  expected_votes: ${spec.expectedVotes}`);
  if (spec.lastManStanding) out.push('  last_man_standing: 1');
  if (spec.autoTieBreaker) out.push('  auto_tie_breaker: 1');
  if (spec.qdevice) {
    const q = spec.qdevice;
    out.push('  device {', '    model: net', `    votes: ${q.votes}`, '    net {', '      tls: on', `      host: ${q.host}`, `      algorithm: ${q.algorithm}`, '    }', '  }');
  }
  out.push('}', '');
  out.push('totem {', `  cluster_name: ${spec.name}`, `  config_version: ${spec.configVersion}`);
  const links = spec.nodes[0] ? Object.keys(spec.nodes[0].addresses).map(Number).sort() : [0];
  for (const l of links) {
    out.push('  interface {', `    linknumber: ${l}`);
    const p = spec.linkPriorities[l as LinkNumber];
    if (p !== undefined) out.push(`    knet_link_priority: ${p}`);
    out.push('  }');
  }
  out.push('  ip_version: ipv4-6', '  link_mode: passive', '  secauth: on', '  version: 2', '}', '');
  return out.join('\n');
}
