/**
 * The Proxmox VE stand-in's corosync.conf handling, written after PVE::Corosync (pve-cluster):
 * its tokenizing parser (parse_conf: comments dropped, `node` and `interface` the only repeatable
 * sections, nodes keyed by name or ring0_addr, interfaces by linknumber), its printer (write_conf:
 * keys sorted, two-space indent, a blank line after each top-level section), create_conf's layout,
 * atomic_write_conf's config_version bump, and verify_conf's link checks. Read from the sources,
 * not copied. Pure: strings in, strings out.
 */

export type ConfValue = string | ConfSection | ConfSection[];
export interface ConfSection {
  [key: string]: ConfValue;
}
export interface PveConf {
  main: ConfSection;
}

const ARRAY_SECTIONS = new Set(['node', 'interface']);
export const MAX_LINK_INDEX = 7;

/** PVE::Corosync::parse_conf. Throws the messages pve-cluster dies with. */
export function parsePveConf(raw: string): PveConf {
  const text = raw.replace(/#.*$/gm, '').replace(/\r?\n/g, ' ').replace(/\s+/g, ' ').trim();
  const tokens = text === '' ? [] : text.split(' ');
  const main: ConfSection = {};
  const stack: ConfSection[] = [];
  let section = main;
  while (tokens.length > 0) {
    const token = tokens.shift()!;
    const next = tokens[0];
    if (next === '{') {
      tokens.shift();
      const fresh: ConfSection = {};
      if (ARRAY_SECTIONS.has(token)) {
        const list = (section[token] as ConfSection[] | undefined) ?? [];
        list.push(fresh);
        section[token] = list;
      } else if (section[token] === undefined) {
        section[token] = fresh;
      } else {
        throw new Error(`section '${token}' already exists and not marked as array!`);
      }
      stack.push(section);
      section = fresh;
      continue;
    }
    if (token === '}') {
      const up = stack.pop();
      if (!up) {
        throw new Error("parse error - uncexpected '}'");
      }
      section = up;
      continue;
    }
    if (!token.endsWith(':')) {
      throw new Error(`missing ':' after key '${token}'`);
    }
    if (next === undefined) {
      throw new Error(`parse error - no value for '${token.slice(0, -1)}'`);
    }
    section[token.slice(0, -1)] = tokens.shift()!;
  }
  return { main };
}

/** nodelist.node as PVE works with it: by name (or ring0_addr when a node has no name). */
export function nodelist(conf: PveConf): Record<string, ConfSection> {
  const nl = conf.main.nodelist as ConfSection | undefined;
  const out: Record<string, ConfSection> = {};
  for (const n of (nl?.node as ConfSection[] | undefined) ?? []) {
    out[String(n.name ?? n.ring0_addr)] = n;
  }
  return out;
}

export function setNodelist(conf: PveConf, nodes: Record<string, ConfSection>): void {
  const nl = (conf.main.nodelist as ConfSection | undefined) ?? {};
  nl.node = Object.keys(nodes)
    .sort()
    .map((k) => nodes[k]!);
  conf.main.nodelist = nl;
}

export function totem(conf: PveConf): ConfSection {
  return (conf.main.totem as ConfSection | undefined) ?? {};
}

export function interfaces(conf: PveConf): Record<string, ConfSection> {
  const out: Record<string, ConfSection> = {};
  for (const i of (totem(conf).interface as ConfSection[] | undefined) ?? []) {
    out[String(i.linknumber ?? i.ringnumber)] = i;
  }
  return out;
}

/** PVE::Corosync::write_conf: keys sorted at every level, arrays (node, interface) in key order. */
export function writePveConf(conf: PveConf): string {
  const dump = (section: ConfSection, prefix: string): string => {
    let raw = '';
    for (const k of Object.keys(section).sort()) {
      const v = section[k]!;
      if (Array.isArray(v)) {
        for (const child of v) {
          raw += `${prefix}${k} {\n${dump(child, `${prefix}  `)}${prefix}}\n`;
        }
      } else if (typeof v === 'object') {
        raw += `${prefix}${k} {\n${dump(v, `${prefix}  `)}${prefix}}\n`;
        if (prefix === '') {
          raw += '\n';
        }
      } else {
        raw += `${prefix}${k}: ${v}\n`;
      }
    }
    return raw;
  };
  // Arrays are written in the order of the hash keys they came from (name / linknumber).
  const c = structuredClone(conf.main);
  const t = c.totem as ConfSection | undefined;
  if (t && Array.isArray(t.interface)) {
    const byKey = Object.fromEntries(t.interface.map((i) => [String(i.linknumber ?? i.ringnumber), i]));
    t.interface = Object.keys(byKey)
      .sort()
      .map((k) => byKey[k]!);
  }
  const nl = c.nodelist as ConfSection | undefined;
  if (nl && Array.isArray(nl.node)) {
    const byName = Object.fromEntries(nl.node.map((n) => [String(n.name ?? n.ring0_addr), n]));
    nl.node = Object.keys(byName)
      .sort()
      .map((k) => byName[k]!);
  }
  return dump(c, '');
}

/** atomic_write_conf's version bump ("unable to read config version" when there is none). */
export function bumpConfigVersion(conf: PveConf): void {
  const t = totem(conf);
  if (t.config_version === undefined) {
    throw new Error('invalid corosync config: unable to read config version');
  }
  t.config_version = String(Number(t.config_version) + 1);
}

export function configVersionOf(raw: string): number {
  const m = /^\s*config_version\s*:\s*(\d+)/m.exec(raw);
  return m ? Number(m[1]) : 0;
}

export interface LinkArg {
  address: string;
  priority?: number;
}

/** `--linkN ADDR[,priority=P]` (the corosync-link property string). */
export function parseLinkArg(value: string): LinkArg {
  const out: LinkArg = { address: '' };
  for (const part of value.split(',')) {
    const [k, v] = part.includes('=') ? (part.split('=', 2) as [string, string]) : ['address', part];
    if (k === 'address') {
      out.address = v;
    } else if (k === 'priority') {
      out.priority = Number(v);
    } else {
      throw new Error(`invalid format - unknown key '${k}' in link`);
    }
  }
  return out;
}

/** PVE::Corosync::create_conf (the token coefficient default 125 is what the create API sets). */
export function createConf(
  nodename: string,
  clustername: string,
  links: Record<number, LinkArg>,
  opts: { nodeid?: number; votes?: number; tokenCoefficient?: number } = {},
): PveConf {
  const node: ConfSection = { name: nodename, nodeid: String(opts.nodeid ?? 1), quorum_votes: String(opts.votes ?? 1) };
  const ifaces: ConfSection[] = [];
  for (const [l, link] of Object.entries(links)) {
    const iface: ConfSection = { linknumber: l };
    if (link.priority) {
      iface.knet_link_priority = String(link.priority);
    }
    ifaces.push(iface);
    node[`ring${l}_addr`] = link.address;
  }
  const t: ConfSection = {
    version: '2',
    secauth: 'on',
    cluster_name: clustername,
    config_version: '0',
    ip_version: 'ipv4-6',
    link_mode: 'passive',
    interface: ifaces,
  };
  if (opts.tokenCoefficient !== undefined) {
    t.token_coefficient = String(opts.tokenCoefficient);
  }
  return {
    main: {
      totem: t,
      nodelist: { node: [node] },
      quorum: { provider: 'corosync_votequorum' },
      logging: { to_syslog: 'yes', debug: 'off' },
    },
  };
}

/** The link numbers of a nodelist entry (`ringN_addr` / `linkN_addr`). */
export function nodeLinks(node: ConfSection): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [k, v] of Object.entries(node)) {
    const m = /^(ring|link)(\d+)_addr$/.exec(k);
    if (m && typeof v === 'string') {
      out[Number(m[2])] = v;
    }
  }
  return out;
}

/** PVE::Corosync::verify_conf's errors and warnings (hostname resolution warnings left out). */
export function verifyConf(conf: PveConf): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const nodes = nodelist(conf);
  if (Object.keys(nodes).length === 0) {
    return { errors: ['no nodes found'], warnings };
  }
  const t = conf.main.totem as ConfSection | undefined;
  if (!t) {
    return { errors: ['no totem found'], warnings };
  }
  if (t.secauth !== 'on' && (t.crypto_cipher === undefined || t.crypto_cipher === 'none')) {
    warnings.push(
      'warning: authentication/encryption is not explicitly enabled (secauth / crypto_cipher / crypto_hash)',
    );
  }
  const ifaces = interfaces(conf);
  const names = Object.keys(nodes).sort();
  for (let l = 0; l <= MAX_LINK_INDEX; l++) {
    const haveIface = ifaces[String(l)] !== undefined;
    const withLink = names.filter((n) => nodeLinks(nodes[n]!)[l] !== undefined);
    if (Object.keys(ifaces).length > 0) {
      for (const n of names) {
        if (withLink.includes(n) && !haveIface) {
          errors.push(`node '${n}' has 'ring${l}_addr', but there is no interface number ${l} configured`);
        } else if (!withLink.includes(n) && haveIface) {
          errors.push(`node '${n}' is missing address forinterface number ${l}`);
        }
      }
    } else if (withLink.length > 0) {
      for (const n of names.filter((x) => !withLink.includes(x))) {
        errors.push(`node '${n}' is missing link ${l}, which is configured on other nodes`);
      }
    }
  }
  return { errors, warnings };
}
