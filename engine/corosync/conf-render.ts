/**
 * A fresh corosync.conf in the layout Proxmox's `pvecm create` writes (pve-cluster
 * src/PVE/Corosync.pm `create_conf` + `write_conf`): sections logging, nodelist, quorum, totem;
 * keys sorted within each section; two-space indentation; a blank line after each top-level
 * section; nodes sorted by name, interfaces by link number.
 */
import { isLinkNumber, isNodeId, LINK_NUMBERS, type LinkNumber } from '../model/cluster';
import { ok, type Result } from '../result';
import { checkAddress, checkName } from './names';

export interface NewConfNode {
  readonly name: string;
  readonly nodeid: number;
  /** `quorum_votes`, default 1 (Proxmox always writes it). */
  readonly votes?: number;
  readonly links: Partial<Record<LinkNumber, string>>;
}

export interface NewConfLink {
  readonly linknumber: LinkNumber;
  /** Written only when non-zero, as pvecm does. */
  readonly knetLinkPriority?: number;
}

export interface NewConfOptions {
  readonly clusterName: string;
  readonly nodes: readonly NewConfNode[];
  /** Links to declare; default: every link number any node has an address for. */
  readonly links?: readonly NewConfLink[];
  /** `secauth: on` (knet crypto with /etc/corosync/authkey, as pvecm). Default true; false writes crypto_cipher/crypto_hash none. */
  readonly crypto?: boolean;
  /** `quorum.two_node: 1` (only meaningful with exactly two nodes). */
  readonly twoNode?: boolean;
  /** `totem.token_coefficient` in milliseconds, as `pvecm create --token-coefficient`. */
  readonly tokenCoefficient?: number;
  /** Default 1 (pvecm writes 0 and bumps it once on its first write). */
  readonly configVersion?: number;
}

type Tree = { [key: string]: string | Tree | Tree[] };

function dump(section: Tree, prefix: string, out: string[]): void {
  for (const key of Object.keys(section).sort()) {
    const v = section[key]!;
    if (typeof v === 'string') {
      out.push(`${prefix}${key}: ${v}\n`);
    } else if (Array.isArray(v)) {
      for (const child of v) {
        out.push(`${prefix}${key} {\n`);
        dump(child, `${prefix}  `, out);
        out.push(`${prefix}}\n`);
      }
    } else {
      out.push(`${prefix}${key} {\n`);
      dump(v, `${prefix}  `, out);
      out.push(`${prefix}}\n`);
      if (prefix === '') {
        out.push('\n');
      }
    }
  }
}

/**
 * Every value `renderNewConf` writes as text, checked: the cluster name and node names are safe
 * names, every link address an IP literal or a host name. A newline in an address would otherwise
 * write a section of its own (`quorum { expected_votes: 1 }`) that `conf check` then accepts.
 */
export function checkNewConf(options: NewConfOptions): Result<void> {
  const name = checkName('totem.cluster_name', options.clusterName);
  if (!name.ok) {
    return name;
  }
  for (const n of options.nodes) {
    const nodeName = checkName('nodelist: node name', n.name);
    if (!nodeName.ok) {
      return nodeName;
    }
    for (const l of LINK_NUMBERS) {
      const a = n.links[l];
      if (a !== undefined) {
        const good = checkAddress(`node "${n.name}": ring${l}_addr`, a);
        if (!good.ok) {
          return good;
        }
      }
    }
  }
  return ok(undefined);
}

/**
 * Render a new corosync.conf. Unique ids and addresses are the caller's to check; run
 * `checkConfText` on the result to be sure. Throws RangeError on a nodeid or link number that cannot
 * be written at all, and on any value `checkNewConf` refuses (call it first for the error as a value):
 * an unchecked name or address is never written.
 */
export function renderNewConf(options: NewConfOptions): string {
  const checked = checkNewConf(options);
  if (!checked.ok) {
    throw new RangeError(checked.error.message);
  }
  const links: readonly NewConfLink[] =
    options.links ??
    LINK_NUMBERS.filter((l) => options.nodes.some((n) => n.links[l] !== undefined)).map((linknumber) => ({
      linknumber,
    }));
  const nodes = [...options.nodes]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((n): Tree => {
      if (!isNodeId(n.nodeid)) {
        throw new RangeError(`node ${n.name}: nodeid must be 1..4294967295, got ${n.nodeid}`);
      }
      const t: Tree = { name: n.name, nodeid: String(n.nodeid), quorum_votes: String(n.votes ?? 1) };
      for (const l of LINK_NUMBERS) {
        if (n.links[l] !== undefined) {
          t[`ring${l}_addr`] = n.links[l];
        }
      }
      return t;
    });
  const interfaces = [...links]
    .sort((a, b) => a.linknumber - b.linknumber)
    .map((l): Tree => {
      if (!isLinkNumber(l.linknumber)) {
        throw new RangeError(`link number must be 0..7, got ${String(l.linknumber)}`);
      }
      const t: Tree = { linknumber: String(l.linknumber) };
      if (l.knetLinkPriority) {
        t.knet_link_priority = String(l.knetLinkPriority);
      }
      return t;
    });
  const totem: Tree = {
    cluster_name: options.clusterName,
    config_version: String(options.configVersion ?? 1),
    interface: interfaces,
    ip_version: 'ipv4-6',
    link_mode: 'passive',
    version: '2',
  };
  if (options.crypto === false) {
    totem.crypto_cipher = 'none';
    totem.crypto_hash = 'none';
  } else {
    totem.secauth = 'on';
  }
  if (options.tokenCoefficient !== undefined) {
    totem.token_coefficient = String(options.tokenCoefficient);
  }
  const quorum: Tree = { provider: 'corosync_votequorum' };
  if (options.twoNode) {
    quorum.two_node = '1';
  }
  const root: Tree = {
    logging: { debug: 'off', to_syslog: 'yes' },
    nodelist: { node: nodes },
    quorum,
    totem,
  };
  const out: string[] = [];
  dump(root, '', out);
  return out.join('');
}
