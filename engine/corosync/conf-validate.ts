/**
 * Problems in a corosync.conf, each with its line and column, a message that says where and what,
 * and a hint. Errors are exactly what corosync (parser, totem config, votequorum) or corosync-qdevice
 * refuse: a file without errors starts. Warnings are what they accept but ignore or mis-read, and
 * Quorate's own policy (the Proxmox cluster-name rule, unique names and addresses), which is right
 * when Quorate writes a file but no reason to refuse a cluster that runs. Each rule was checked
 * against corosync 3.1.7 `corosync -t` / `corosync -f` and corosync-qdevice 3.0.3 start-up
 * (test/engine/corosync/conf-corosync-t.test.ts).
 * Over 400 lines on purpose: one list of rules in the order corosync checks them, and many rules read
 * several sections at once (a QDevice beside two_node, link numbers against every node), so a split by
 * section would cut them apart.
 */
import type { LinkNumber } from '../model/cluster';
import { parseAutoTieBreakerNode, readConf } from './conf-read';
import { parseConf, walkConf, type ConfDocument, type ConfNode, type ConfPair, type ConfSection } from './conf-syntax';
import { lastPair, parseCorosyncInt, sectionsNamed, UINT16, UINT32, UINT8 } from './conf-tree';

export interface ConfProblem {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in characters. */
  readonly column: number;
  readonly severity: 'error' | 'warning';
  /** Namespaced and stable, e.g. `corosync.duplicate-nodeid`. */
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}

/** Integer keys corosync's parser (coroparse.c) converts, by dotted path (node keys as `nodelist.node.*`). */
const INTEGER_KEYS: Readonly<Record<string, number>> = {
  'totem.version': UINT32,
  'totem.nodeid': UINT32,
  'totem.threads': UINT32,
  'totem.token': UINT32,
  'totem.token_coefficient': UINT32,
  'totem.token_retransmit': UINT32,
  'totem.token_warning': UINT32,
  'totem.hold': UINT32,
  'totem.token_retransmits_before_loss_const': UINT32,
  'totem.join': UINT32,
  'totem.send_join': UINT32,
  'totem.consensus': UINT32,
  'totem.merge': UINT32,
  'totem.downcheck': UINT32,
  'totem.fail_recv_const': UINT32,
  'totem.seqno_unchanged_const': UINT32,
  'totem.heartbeat_failures_allowed': UINT32,
  'totem.max_network_delay': UINT32,
  'totem.window_size': UINT32,
  'totem.max_messages': UINT32,
  'totem.miss_count_const': UINT32,
  'totem.knet_pmtud_interval': UINT32,
  'totem.knet_mtu': UINT32,
  'totem.knet_compression_threshold': UINT32,
  'totem.netmtu': UINT32,
  'totem.interface.linknumber': UINT8,
  'totem.interface.mcastport': UINT16,
  'totem.interface.ttl': UINT8,
  'totem.interface.knet_link_priority': UINT8,
  'totem.interface.knet_ping_interval': UINT32,
  'totem.interface.knet_ping_timeout': UINT32,
  'totem.interface.knet_ping_precision': UINT32,
  'totem.interface.knet_pong_count': UINT32,
  'quorum.expected_votes': UINT32,
  'quorum.votes': UINT32,
  'quorum.last_man_standing_window': UINT32,
  'quorum.leaving_timeout': UINT32,
  'quorum.two_node': UINT8,
  'quorum.expected_votes_tracking': UINT8,
  'quorum.allow_downscale': UINT8,
  'quorum.wait_for_all': UINT8,
  'quorum.auto_tie_breaker': UINT8,
  'quorum.last_man_standing': UINT8,
  'quorum.device.timeout': UINT32,
  'quorum.device.sync_timeout': UINT32,
  'quorum.device.votes': UINT32,
  'quorum.device.master_wins': UINT8,
  'nodelist.node.nodeid': UINT32,
  'nodelist.node.quorum_votes': UINT32,
};

/** Values corosync's parser accepts for enumerated keys (coroparse.c / totemconfig.c). */
const ENUM_KEYS: Readonly<Record<string, readonly string[]>> = {
  'totem.ip_version': ['ipv4', 'ipv6', 'ipv4-6', 'ipv6-4'],
  'totem.transport': ['knet', 'udp', 'udpu'],
  'totem.link_mode': ['passive', 'active', 'rr'],
  'totem.crypto_cipher': ['none', 'nss', 'aes256', 'aes192', 'aes128'],
  'totem.crypto_hash': ['none', 'md5', 'sha1', 'sha256', 'sha384', 'sha512'],
  'totem.crypto_model': ['nss', 'openssl'],
  'totem.interface.knet_transport': ['udp', 'sctp'],
  'quorum.device.net.algorithm': ['ffsplit', 'lms', 'test', '2nodelms'],
  'quorum.device.net.tls': ['on', 'off', 'required'],
};

const PVE_CLUSTER_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;
/** icmap_is_valid_name_char: cmap keys (the dotted path of every `key: value`) use only these. */
const CMAP_KEY = /^[A-Za-z0-9._/:-]+$/;
/** icmap's ICMAP_KEYNAME_MAXLEN. */
const CMAP_KEY_MAX = 255;
/** totemconfig.c MINIMUM_TIMEOUT ((1000/HZ)*3 with HZ 100) and MINIMUM_TIMEOUT_HOLD, in ms. */
const MIN_TIMEOUT = 30;
const MIN_HOLD = 14;
/** knet host ids are 16 bits (KNET_MAX_HOST). */
const KNET_MAX_NODEID = 65535;
const RING_ADDR = /^ring(\d+)_addr$/;

class Collector {
  readonly problems: ConfProblem[] = [];
  constructor(private readonly lines: Map<ConfNode, number>) {}

  at(
    node: ConfNode | undefined,
    severity: ConfProblem['severity'],
    code: string,
    message: string,
    hint: string,
    onValue = false,
  ): void {
    const line = node ? (this.lines.get(node) ?? 1) : 1;
    let column = 1;
    if (node) {
      const text = node.kind === 'section' ? node.open.text : node.line.text;
      column = onValue && node.kind === 'pair' ? node.valueStart + 1 : (/^[ \t]*/.exec(text)?.[0].length ?? 0) + 1;
    }
    this.problems.push({ line, column, severity, code, message, hint });
  }
}

function isPair(n: ConfNode): n is ConfPair {
  return n.kind === 'pair';
}

/**
 * Check a parsed corosync.conf. Returns problems sorted by line; an empty list means corosync,
 * votequorum and corosync-qdevice will accept it (name resolution and authkey aside).
 */
export function validateConf(doc: ConfDocument): ConfProblem[] {
  const lines = new Map<ConfNode, number>();
  walkConf(doc, (node, line) => {
    lines.set(node, line);
  });
  const c = new Collector(lines);
  const first = doc.body[0];
  const firstText = first === undefined ? '' : first.kind === 'section' ? first.open.text : first.line.text;
  if (firstText.startsWith('\ufeff')) {
    // corosync reads the BOM bytes as part of the first name: "\xEF\xBB\xBFtotem" is not "totem".
    c.at(
      first,
      'error',
      'corosync.bom',
      'corosync.conf starts with a byte order mark, which corosync reads as part of the first line',
      'Save the file as UTF-8 without BOM.',
    );
  }
  checkValues(doc, c);
  checkDuplicates(doc, c);
  const conf = readConf(doc);
  const totems = sectionsNamed(doc.body, 'totem');
  const nodelists = sectionsNamed(doc.body, 'nodelist');
  const quorums = sectionsNamed(doc.body, 'quorum');
  const lastIn = (sections: ConfSection[], key: string): ConfPair | undefined => {
    let found: ConfPair | undefined;
    for (const s of sections) {
      found = lastPair(s.body, key) ?? found;
    }
    return found;
  };

  // totem
  if (totems.length === 0) {
    c.at(
      undefined,
      'error',
      'corosync.no-totem',
      'corosync.conf has no totem section',
      'Add "totem { version: 2; cluster_name: …; config_version: 1 }".',
    );
  }
  const clusterName = lastIn(totems, 'cluster_name');
  if (totems.length > 0 && !clusterName) {
    c.at(
      totems[0],
      'warning',
      'corosync.no-cluster-name',
      'totem: cluster_name is not set',
      'Set totem.cluster_name; corosync-qdevice certificates and Proxmox need it.',
    );
  } else if (clusterName && (!PVE_CLUSTER_NAME.test(clusterName.value) || clusterName.value.length > 15)) {
    c.at(
      clusterName,
      'warning',
      'corosync.cluster-name',
      `totem.cluster_name: "${clusterName.value}" is accepted by corosync, but Proxmox VE would refuse it for a new cluster`,
      'Fine for a running cluster; for a new one use at most 15 letters, digits and "-", starting and ending with a letter or digit.',
      true,
    );
  }
  const cv = lastIn(totems, 'config_version');
  if (totems.length > 0 && !cv) {
    c.at(
      totems[0],
      'warning',
      'corosync.no-config-version',
      'totem: config_version is not set',
      'Add "config_version: 1"; corosync uses it to refuse stale configs on reload.',
    );
  } else if (cv && !/^[0-9]+$/.test(cv.value.trim())) {
    c.at(
      cv,
      'error',
      'corosync.config-version',
      `totem.config_version: expected an unsigned integer, got "${cv.value}"`,
      'Set a number, higher than on any node.',
      true,
    );
  }
  const version = lastIn(totems, 'version');
  if (version && conf.totem.version !== undefined && conf.totem.version !== 2) {
    c.at(
      version,
      'error',
      'corosync.totem-version',
      `totem.version: must be 2, got ${version.value}`,
      'Set "version: 2".',
      true,
    );
  }

  // interfaces
  const ifaceByLink = new Map<number, ConfSection>();
  for (const t of totems) {
    for (const i of sectionsNamed(t.body, 'interface')) {
      const ln = lastPair(i.body, 'linknumber');
      const num = ln ? parseCorosyncInt(ln.value, 0, UINT8) : 0;
      if (!ln && lastPair(i.body, 'ringnumber')) {
        c.at(
          lastPair(i.body, 'ringnumber'),
          'warning',
          'corosync.ringnumber',
          `totem.interface: ringnumber is ignored by corosync 3; this interface is link 0`,
          'Rename "ringnumber" to "linknumber".',
        );
      }
      if (num === undefined) {
        continue;
      }
      if (num > 7) {
        c.at(
          ln,
          'error',
          'corosync.link-out-of-range',
          `totem.interface.linknumber: must be 0..7, got ${num}`,
          'knet supports links 0 to 7.',
          true,
        );
      } else if (ifaceByLink.has(num)) {
        c.at(
          ln ?? i,
          'warning',
          'corosync.duplicate-interface',
          `totem.interface: link ${num} is configured twice; corosync merges the blocks, later values win`,
          'Merge the two interface blocks for this link.',
        );
      } else {
        ifaceByLink.set(num, i);
      }
    }
  }

  const knet = conf.totem.transport === undefined || conf.totem.transport === 'knet';
  checkCrypto(totems, knet, c);
  checkTimers(totems, conf.nodes.length, c);

  // nodelist
  if (nodelists.length === 0) {
    c.at(
      undefined,
      'error',
      'corosync.no-nodelist',
      'corosync.conf has no nodelist section',
      'corosync 3 (knet) needs a nodelist with one node block per machine.',
    );
  }
  const nodes = nodelists.flatMap((nl) => sectionsNamed(nl.body, 'node'));
  if (nodelists.length > 0 && nodes.length === 0) {
    c.at(
      nodelists[0],
      'error',
      'corosync.no-nodes',
      'nodelist has no node blocks',
      'Add one "node { name; nodeid; ring0_addr }" block per machine.',
    );
  }
  const byId = new Map<number, string>();
  const byName = new Map<string, ConfSection>();
  const byAddr = new Map<string, string>();
  const linkSets: { node: ConfSection; label: string; links: LinkNumber[] }[] = [];
  for (const node of nodes) {
    const nameP = lastPair(node.body, 'name');
    const idP = lastPair(node.body, 'nodeid');
    const ringPairs = node.body.filter(isPair).filter((p) => RING_ADDR.test(p.key));
    const label = nameP?.value ?? ringPairs[0]?.value ?? `node at line ${lines.get(node)}`;
    const where = `nodelist: node "${label}"`;
    if (!nameP) {
      c.at(
        node,
        'warning',
        'corosync.node-name',
        `${where} has no name`,
        'Add "name: <hostname>"; Proxmox and corosync-cfgtool identify nodes by it.',
      );
    } else if (byName.has(nameP.value)) {
      c.at(
        nameP,
        'warning',
        'corosync.duplicate-name',
        `${where}: name "${nameP.value}" is used twice (corosync accepts it; tools that find nodes by name do not)`,
        'Give every node its own name.',
        true,
      );
    } else {
      byName.set(nameP.value, node);
    }
    if (!idP) {
      // udp/udpu derive a nodeid from an IPv4 ring0_addr (totemconfig.c); knet and IPv6 need one.
      const addr0 = lastPair(node.body, 'ring0_addr')?.value ?? '';
      const ipv6 = addr0.includes(':') || conf.totem.ipVersion === 'ipv6';
      if (knet || ipv6) {
        c.at(
          node,
          'error',
          'corosync.missing-nodeid',
          `${where} has no nodeid (${knet ? 'knet' : 'an IPv6 network'} requires one)`,
          'Add "nodeid: N" with a unique N ≥ 1.',
        );
      }
    } else {
      const id = parseCorosyncInt(idP.value, 0, UINT32);
      if (id !== undefined && knet && id > KNET_MAX_NODEID) {
        c.at(
          idP,
          'error',
          'corosync.nodeid',
          `${where}: knet requires nodeid to be less than 65536, got ${id}`,
          'Use a unique nodeid 1..65535.',
          true,
        );
      }
      if (id === 0 && knet) {
        c.at(
          idP,
          'error',
          'corosync.nodeid',
          `${where}: nodeid must be ≥ 1, got 0`,
          'Use a unique positive nodeid.',
          true,
        );
      } else if (id !== undefined) {
        const other = byId.get(id);
        if (other !== undefined) {
          c.at(
            idP,
            'error',
            'corosync.duplicate-nodeid',
            `${where}: nodeid ${id} is also used by "${other}"`,
            'Give every node its own nodeid.',
            true,
          );
        } else {
          byId.set(id, label);
        }
      }
    }
    const links: LinkNumber[] = [];
    for (const p of ringPairs) {
      const l = Number(RING_ADDR.exec(p.key)![1]);
      if (l > 7) {
        c.at(
          p,
          'error',
          'corosync.link-out-of-range',
          `${where}: ${p.key}: link numbers must be 0..7`,
          'knet supports ring0_addr to ring7_addr.',
        );
        continue;
      }
      if (!links.includes(l as LinkNumber)) {
        links.push(l as LinkNumber);
      }
      if (p.value === '') {
        c.at(
          p,
          'error',
          'corosync.address',
          `${where}: ${p.key} is empty`,
          "Give the node's address on this link.",
          true,
        );
        continue;
      }
      const owner = byAddr.get(p.value);
      if (owner !== undefined) {
        c.at(
          p,
          'warning',
          'corosync.duplicate-address',
          `${where}: ${p.key} ${p.value} is also used by ${owner} (corosync starts, but the two nodes cannot both be reached)`,
          'Every node needs its own address, different on each link.',
          true,
        );
      } else {
        byAddr.set(p.value, `"${label}" (${p.key})`);
      }
    }
    links.sort((a, b) => a - b);
    if (links.length === 0) {
      c.at(
        node,
        'error',
        'corosync.missing-address',
        `${where} has no ring0_addr (no link address at all)`,
        'Add "ring0_addr: <address>".',
      );
    }
    linkSets.push({ node, label, links });
  }
  if (linkSets.length > 1) {
    const counts = new Map<string, number>();
    for (const s of linkSets) {
      counts.set(s.links.join(','), (counts.get(s.links.join(',')) ?? 0) + 1);
    }
    const common = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    for (const s of linkSets) {
      if (s.links.length > 0 && s.links.join(',') !== common) {
        c.at(
          s.node,
          'error',
          'corosync.link-mismatch',
          `nodelist: node "${s.label}" has links ${s.links.join(', ') || 'none'}, most nodes have ${common || 'none'}`,
          'Give every node an address on the same set of links.',
        );
      }
    }
  }
  const usedLinks = new Set(linkSets.flatMap((s) => s.links));
  for (const [l, iface] of ifaceByLink) {
    if (!usedLinks.has(l as LinkNumber) && nodes.length > 0) {
      c.at(
        iface,
        'warning',
        'corosync.interface-without-addresses',
        `totem.interface: link ${l} has no ring${l}_addr on any node; corosync ignores the block`,
        `Add ring${l}_addr to every node, or remove this interface block.`,
      );
    }
  }
  if (ifaceByLink.size > 0) {
    for (const l of [...usedLinks].sort()) {
      if (!ifaceByLink.has(l)) {
        c.at(
          totems[0],
          'warning',
          'corosync.link-without-interface',
          `totem: link ${l} has addresses but no interface block`,
          `Add "interface { linknumber: ${l} }" to totem (Proxmox requires one per link).`,
        );
      }
    }
  }
  if (!knet && usedLinks.size > 1) {
    c.at(
      lastIn(totems, 'transport'),
      'error',
      'corosync.transport-links',
      `totem.transport ${conf.totem.transport} supports one link, ${usedLinks.size} are configured`,
      'Use transport knet for redundant links.',
    );
  }

  // quorum
  const nodeCount = conf.nodes.length;
  const totalVotes = conf.nodes.reduce((s, n) => s + (n.quorumVotes ?? 1), 0);
  const q = conf.quorum;
  const providerP = lastIn(quorums, 'provider');
  if (!providerP) {
    c.at(
      quorums[0],
      'warning',
      'corosync.no-quorum-provider',
      'quorum: no provider, so the cluster has no quorum at all',
      'Add "quorum { provider: corosync_votequorum }".',
    );
  } else if (providerP.value !== 'corosync_votequorum') {
    c.at(
      providerP,
      'error',
      'corosync.quorum-provider',
      `quorum.provider: unknown provider "${providerP.value}"`,
      'Use corosync_votequorum.',
      true,
    );
  }
  const twoNodeP = lastIn(quorums, 'two_node');
  // votequorum.c applies two_node only while at most 2 nodes exist; otherwise it merely implies wait_for_all.
  if (q.twoNode && (nodeCount > 0 ? nodeCount !== 2 : q.expectedVotes !== 2)) {
    c.at(
      twoNodeP,
      'warning',
      'corosync.two-node',
      `quorum.two_node is set but the cluster has ${nodeCount > 0 ? `${nodeCount} nodes` : `expected_votes ${q.expectedVotes ?? 'unset'}`}`,
      'corosync ignores two_node unless there are exactly 2 nodes (it only turns on wait_for_all): remove it.',
    );
  }
  if (q.twoNode && q.autoTieBreaker) {
    c.at(
      twoNodeP,
      'warning',
      'corosync.two-node-atb',
      'quorum: two_node and auto_tie_breaker together; corosync disables two_node',
      'Keep one of them: two_node for a 2-node cluster.',
    );
  }
  const atbP = lastIn(quorums, 'auto_tie_breaker');
  if (q.autoTieBreaker && totalVotes % 2 === 1 && !q.waitForAll) {
    if (q.lastManStanding) {
      c.at(
        atbP,
        'error',
        'corosync.atb-lms-odd',
        'quorum: auto_tie_breaker with last_man_standing in an odd-sized cluster; corosync refuses to start',
        'Remove last_man_standing and set wait_for_all: 1.',
      );
    } else {
      c.at(
        atbP,
        'warning',
        'corosync.atb-odd',
        'quorum.auto_tie_breaker is ignored: odd-sized cluster without wait_for_all',
        'Set wait_for_all: 1 (mandatory for auto_tie_breaker with an odd node count).',
      );
    }
  }
  const atbNodeP = lastIn(quorums, 'auto_tie_breaker_node');
  if (atbNodeP) {
    const parsed = parseAutoTieBreakerNode(atbNodeP.value);
    if (parsed === undefined) {
      c.at(
        atbNodeP,
        'warning',
        'corosync.atb-node',
        `quorum.auto_tie_breaker_node: "${atbNodeP.value}" is not lowest, highest or a list of nodeids; corosync disables auto_tie_breaker`,
        'Use lowest, highest, or nodeids separated by spaces.',
        true,
      );
    } else if (Array.isArray(parsed) && nodes.length > 0) {
      for (const id of parsed) {
        if (!byId.has(id)) {
          c.at(
            atbNodeP,
            'warning',
            'corosync.atb-node',
            `quorum.auto_tie_breaker_node: nodeid ${id} is not in the nodelist`,
            'List nodeids of existing nodes.',
            true,
          );
        }
      }
    }
  }
  const devices = quorums.flatMap((qs) => sectionsNamed(qs.body, 'device'));
  const d = q.device;
  if (d && devices.length > 0) {
    const dev = devices[0]!;
    const where = 'quorum.device';
    // votequorum counts a device only when quorum.device.model is non-empty (votequorum_qdevice_is_configured).
    const active = d.model !== undefined && d.model !== '';
    if (active && q.twoNode) {
      c.at(
        twoNodeP,
        'error',
        'corosync.qdevice-two-node',
        'quorum: two_node and quorum.device cannot be configured together',
        'Remove two_node; the QDevice vote replaces it.',
      );
    }
    if (active && q.lastManStanding) {
      c.at(
        lastIn(quorums, 'last_man_standing'),
        'error',
        'corosync.qdevice-lms',
        'quorum: quorum.device is not compatible with last_man_standing',
        'Remove last_man_standing (use the qdevice lms algorithm instead).',
      );
    }
    if (active && q.autoTieBreaker) {
      c.at(
        atbP,
        'error',
        'corosync.qdevice-atb',
        'quorum: quorum.device is not compatible with auto_tie_breaker',
        'Remove auto_tie_breaker; the QDevice breaks ties.',
      );
    }
    if (active && q.allowDownscale) {
      c.at(
        lastIn(quorums, 'allow_downscale'),
        'error',
        'corosync.qdevice-downscale',
        'quorum: quorum.device is not compatible with allow_downscale',
        'Remove allow_downscale.',
      );
    }
    const votesP = lastPair(dev.body, 'votes');
    if (!d.model) {
      c.at(
        dev,
        'warning',
        'corosync.qdevice-model',
        `${where}: model is not set, so votequorum ignores the whole device section`,
        'Add "model: net", or remove the device section.',
      );
    } else if (d.model !== 'net') {
      c.at(
        lastPair(dev.body, 'model'),
        'error',
        'corosync.qdevice-model',
        `${where}.model: "${d.model}" is not supported`,
        'Use "model: net".',
        true,
      );
    }
    if (active && q.expectedVotes !== undefined && d.votes === undefined) {
      c.at(
        dev,
        'error',
        'corosync.qdevice-votes',
        `${where}.votes must be set when quorum.expected_votes is set`,
        'Add "votes: N" to quorum.device.',
      );
    }
    if (active && d.votes === undefined && nodeCount !== totalVotes) {
      c.at(
        dev,
        'error',
        'corosync.qdevice-votes',
        `${where}.votes must be set when not every node has 1 vote`,
        'Add "votes: N" to quorum.device.',
      );
    }
    if (d.votes !== undefined && q.expectedVotes !== undefined && q.expectedVotes - d.votes < 2) {
      c.at(
        votesP,
        'error',
        'corosync.qdevice-votes',
        `${where}.votes ${d.votes} is too high for expected_votes ${q.expectedVotes}`,
        'expected_votes must exceed the QDevice votes by at least 2.',
        true,
      );
    }
    if (d.votes === 0) {
      c.at(
        votesP,
        'warning',
        'corosync.qdevice-votes',
        `${where}.votes: 0 gives the QDevice no vote`,
        'Use 1 for ffsplit; leave unset for lms.',
        true,
      );
    }
    const netSection = sectionsNamed(dev.body, 'net')[0];
    const net = d.net;
    if (d.model === 'net') {
      if (!net || net.host === undefined || net.host === '') {
        c.at(
          netSection ?? dev,
          'error',
          'corosync.qdevice-host',
          `${where}.net.host is not set`,
          'Add "net { host: <qnetd address> }".',
        );
      }
      if (!clusterName) {
        c.at(
          dev,
          'error',
          'corosync.qdevice-cluster-name',
          `${where}: model net needs totem.cluster_name`,
          'Set totem.cluster_name (the qnetd certificate is issued for it).',
        );
      }
      const algorithm = net?.algorithm ?? 'ffsplit';
      const algP = netSection ? lastPair(netSection.body, 'algorithm') : undefined;
      if (algorithm === 'ffsplit') {
        if (d.votes !== undefined && d.votes !== 1) {
          c.at(
            votesP,
            'error',
            'corosync.qdevice-votes',
            `${where}.votes: ffsplit needs exactly 1 vote, got ${d.votes}`,
            'Set "votes: 1" (corosync-qdevice(8)).',
            true,
          );
        }
        // corosync-qdevice reads the key itself ("50:50 split algorithm works only if
        // quorum.device.votes configuration key is set to 1!"), even where votequorum's default is 1.
        if (d.votes === undefined) {
          c.at(
            dev,
            'error',
            'corosync.qdevice-votes',
            `${where}: ffsplit needs "votes: 1" written out; corosync-qdevice refuses to start without it`,
            'Add "votes: 1" to quorum.device.',
          );
        }
        if (nodeCount !== totalVotes) {
          c.at(
            algP ?? dev,
            'error',
            'corosync.qdevice-ffsplit-votes',
            `${where}.net.algorithm ffsplit needs every node to have 1 vote`,
            'Remove quorum_votes overrides, or use lms.',
          );
        }
        if (nodeCount % 2 === 1) {
          c.at(
            algP ?? dev,
            'warning',
            'corosync.qdevice-ffsplit-odd',
            `${where}.net.algorithm ffsplit only helps an even node count; this cluster has ${nodeCount}`,
            'Use lms for an odd node count, or no QDevice at all.',
          );
        }
      } else if (algorithm === 'lms') {
        if (d.votes !== undefined && d.votes !== totalVotes - 1) {
          c.at(
            votesP,
            'warning',
            'corosync.qdevice-votes',
            `${where}.votes: lms needs ${totalVotes - 1} votes (sum of node votes − 1), got ${d.votes}`,
            'Remove quorum.device.votes so corosync uses its default.',
            true,
          );
        }
      }
      const tb = net?.tieBreaker;
      if (tb !== undefined && tb !== 'lowest' && tb !== 'highest') {
        const id = parseCorosyncInt(tb, 1, UINT32);
        const tbP = netSection ? lastPair(netSection.body, 'tie_breaker') : undefined;
        if (id === undefined) {
          c.at(
            tbP,
            'error',
            'corosync.qdevice-tie-breaker',
            `${where}.net.tie_breaker: "${tb}" is not lowest, highest or a nodeid`,
            'Use lowest, highest or a nodeid from the nodelist.',
            true,
          );
        } else if (!byId.has(id)) {
          c.at(
            tbP,
            'warning',
            'corosync.qdevice-tie-breaker',
            `${where}.net.tie_breaker: nodeid ${id} is not in the nodelist`,
            'Use lowest, highest or a nodeid from the nodelist.',
            true,
          );
        }
      }
    }
  }
  return c.problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Crypto as totemconfig.c reads it: only knet encrypts ("crypto_cipher & crypto_hash are only valid
 * for the Knet transport", also for `secauth: on`), and a cipher needs a hash. `secauth: on` alone
 * means aes256 + sha256; any other secauth value means off.
 */
function checkCrypto(totems: ConfSection[], knet: boolean, c: Collector): void {
  const last = (key: string): ConfPair | undefined => {
    let found: ConfPair | undefined;
    for (const t of totems) {
      found = lastPair(t.body, key) ?? found;
    }
    return found;
  };
  const cipherP = last('crypto_cipher');
  const hashP = last('crypto_hash');
  const secauthP = last('secauth');
  const secauth = secauthP?.value === 'on';
  if (secauthP && secauthP.value !== 'on' && secauthP.value !== 'off') {
    c.at(
      secauthP,
      'warning',
      'corosync.secauth',
      `totem.secauth: "${secauthP.value}" is read as off (only "on" turns it on)`,
      'Use crypto_cipher and crypto_hash instead; secauth is deprecated.',
      true,
    );
  }
  const cipher = cipherP?.value ?? (secauth ? 'aes256' : 'none');
  const hash = hashP?.value ?? (secauth ? 'sha256' : 'none');
  if (!knet && (cipher !== 'none' || hash !== 'none')) {
    c.at(
      (cipher !== 'none' ? cipherP : hashP) ?? secauthP,
      'error',
      'corosync.crypto-transport',
      'crypto_cipher and crypto_hash (and secauth: on) are only valid for the knet transport',
      'Set crypto_cipher: none and crypto_hash: none (and secauth: off), or use transport knet.',
    );
  } else if (knet && cipher !== 'none' && hash === 'none') {
    c.at(
      hashP ?? cipherP,
      'error',
      'corosync.crypto-hash',
      `totem.crypto_cipher ${cipher} requires a crypto_hash other than none`,
      'Add "crypto_hash: sha256".',
    );
  }
}

/**
 * Totem timers below corosync's minimums (totemconfig.c MINIMUM_TIMEOUT = 30 ms, hold 14 ms), also
 * the derived ones: the token grows by token_coefficient per node above 2, an unset token_retransmit
 * is token / (token_retransmits_before_loss_const + 0.2), an unset consensus is 1.2 × token.
 */
function checkTimers(totems: ConfSection[], nodeCount: number, c: Collector): void {
  const get = (key: string): { pair: ConfPair; value: number } | undefined => {
    let found: ConfPair | undefined;
    for (const t of totems) {
      found = lastPair(t.body, key) ?? found;
    }
    const value = found ? parseCorosyncInt(found.value, 0, UINT32) : undefined;
    return found && value !== undefined ? { pair: found, value } : undefined;
  };
  const tooLow = (key: string, label: string, value: number, min: number, pair: ConfPair | undefined): boolean => {
    if (value >= min) {
      return false;
    }
    c.at(
      pair,
      'error',
      'corosync.timer',
      `totem.${key}: the ${label} (${value} ms) may not be less than ${min} ms`,
      `Raise ${key} (corosync's default token is 1000 ms, Proxmox uses the default).`,
      true,
    );
    return true;
  };
  const tokenP = get('token');
  const coefficient = get('token_coefficient')?.value ?? 650;
  const tokenBase = tokenP?.value ?? 1000;
  const token = nodeCount > 2 ? tokenBase + (nodeCount - 2) * coefficient : tokenBase;
  if (tooLow('token', 'token timeout', token, MIN_TIMEOUT, tokenP?.pair)) {
    return;
  }
  const retransP = get('token_retransmit');
  const losses = get('token_retransmits_before_loss_const')?.value || 4;
  if (retransP) {
    tooLow('token_retransmit', 'token retransmit timeout', retransP.value, MIN_TIMEOUT, retransP.pair);
  } else if (Math.trunc(token / (losses + 0.2)) < MIN_TIMEOUT) {
    c.at(
      tokenP?.pair ?? get('token_retransmits_before_loss_const')?.pair,
      'error',
      'corosync.timer',
      `totem.token ${token} ms with token_retransmits_before_loss_const ${losses} gives a token retransmit under ${MIN_TIMEOUT} ms; corosync refuses it`,
      `Raise token to at least ${Math.ceil(MIN_TIMEOUT * (losses + 0.2))} ms or lower token_retransmits_before_loss_const.`,
      true,
    );
  }
  const holdP = get('hold');
  if (holdP) {
    tooLow('hold', 'token hold timeout', holdP.value, MIN_HOLD, holdP.pair);
  }
  const joinP = get('join');
  if (joinP) {
    tooLow('join', 'join timeout', joinP.value, MIN_TIMEOUT, joinP.pair);
  }
  const join = joinP?.value ?? 50;
  const consensusP = get('consensus');
  const consensus = consensusP?.value ?? Math.trunc(token * 1.2);
  if (!tooLow('consensus', 'consensus timeout', consensus, MIN_TIMEOUT, consensusP?.pair) && consensus < join) {
    c.at(
      consensusP?.pair ?? joinP?.pair,
      'error',
      'corosync.timer',
      `totem.consensus (${consensus} ms) may not be less than the join timeout (${join} ms)`,
      'Raise consensus (default 1.2 × token) or lower join.',
      true,
    );
  }
  for (const [key, label] of [
    ['merge', 'merge timeout'],
    ['downcheck', 'downcheck timeout'],
    ['max_network_delay', 'max_network_delay'],
  ] as const) {
    const p = get(key);
    if (p) {
      tooLow(key, label, p.value, MIN_TIMEOUT, p.pair);
    }
  }
  const warnP = get('token_warning');
  if (warnP && warnP.value > 100) {
    c.at(
      warnP.pair,
      'error',
      'corosync.timer',
      `totem.token_warning: ${warnP.value}% must be between 0 (disabled) and 100`,
      'Use a percentage of the token timeout, default 75.',
      true,
    );
  }
}

/** Integer and enumerated values, as corosync's parser checks them, anywhere in the tree. */
function checkValues(doc: ConfDocument, c: Collector): void {
  const visit = (nodes: readonly ConfNode[], path: string): void => {
    for (const n of nodes) {
      if (n.kind === 'section') {
        visit(n.body, path === '' ? n.name : `${path}.${n.name}`);
        continue;
      }
      if (n.kind !== 'pair') {
        continue;
      }
      const full = path === '' ? n.key : `${path}.${n.key}`;
      // coroparse stores every pair in cmap under its dotted path; icmap refuses other characters.
      if ((!CMAP_KEY.test(full) && !/[\u00a0\ufeff]/.test(full)) || full.length > CMAP_KEY_MAX) {
        c.at(
          n,
          'error',
          'corosync.key-name',
          `${full}: corosync cannot store this key (names may hold only letters, digits and . _ - / :, at most ${CMAP_KEY_MAX} characters)`,
          'Rename the key or the section around it; corosync stops with "Can\'t store key".',
        );
      }
      const max = INTEGER_KEYS[full];
      if (max !== undefined && parseCorosyncInt(n.value, 0, max) === undefined) {
        c.at(
          n,
          'error',
          'corosync.not-integer',
          `${full}: expected an integer 0..${max}, got "${n.value}"`,
          max === UINT8 && full.startsWith('quorum.')
            ? 'corosync wants 0 or 1 here, not yes/no or on/off.'
            : 'Write a plain decimal number.',
          true,
        );
      }
      if (n.line.text.includes('\u00a0')) {
        c.at(
          n,
          'error',
          'corosync.nbsp',
          `${full}: the line contains a no-break space (U+00A0); corosync strips only half of it and reads a corrupted value`,
          'Replace the no-break space with a plain space or remove it.',
          true,
        );
      }
      // corosync has no inline comments: "name: pve1 # main box" makes the name "pve1 # main box".
      if (/\s#/.test(n.value)) {
        c.at(
          n,
          'warning',
          'corosync.inline-comment',
          `${full}: the value "${n.value}" contains " #"; corosync has no inline comments, so it is part of the value`,
          'Move the comment to its own line starting with "#".',
          true,
        );
      }
      const allowed = ENUM_KEYS[full];
      if (allowed && !allowed.includes(n.value)) {
        c.at(
          n,
          'error',
          'corosync.bad-value',
          `${full}: "${n.value}" is not one of ${allowed.join(', ')}`,
          `Use one of: ${allowed.join(', ')}.`,
          true,
        );
      }
    }
  };
  visit(doc.body, '');
}

/** A key given twice in one section: corosync keeps the last value, which is rarely what was meant. */
function checkDuplicates(doc: ConfDocument, c: Collector): void {
  const visit = (nodes: readonly ConfNode[], path: string): void => {
    const seen = new Set<string>();
    for (const n of nodes) {
      if (n.kind === 'pair') {
        if (seen.has(n.key)) {
          c.at(
            n,
            'warning',
            'corosync.duplicate-key',
            `${path === '' ? '' : `${path}.`}${n.key} is set twice; corosync uses this later value`,
            'Remove one of the two lines.',
          );
        }
        seen.add(n.key);
      } else if (n.kind === 'section') {
        visit(n.body, path === '' ? n.name : `${path}.${n.name}`);
      }
    }
  };
  visit(doc.body, '');
  for (const name of ['totem', 'nodelist', 'quorum', 'logging']) {
    const all = sectionsNamed(doc.body, name);
    for (const extra of all.slice(1)) {
      c.at(
        extra,
        'warning',
        'corosync.duplicate-section',
        `${name} appears more than once; corosync merges the sections`,
        `Merge the ${name} sections into one.`,
      );
    }
  }
}

/** Parse and validate text: a syntax error is one problem at its line and column; otherwise `validateConf`. */
export function checkConfText(text: string): ConfProblem[] {
  const parsed = parseConf(text);
  if (!parsed.ok) {
    const e = parsed.error;
    return [
      { line: e.line, column: e.column, severity: 'error', code: 'corosync.parse', message: e.reason, hint: e.hint },
    ];
  }
  return validateConf(parsed.value);
}
