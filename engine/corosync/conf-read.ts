/**
 * The typed view of a corosync.conf: what corosync (cmap) ends up seeing, with every key it does not
 * know kept in `extra` / `extraSections`, never dropped. Values that do not parse (a nodeid of "x")
 * read as undefined here; `validateConf` reports them with their line.
 * Over 400 lines on purpose: mostly the typed view's declarations, one interface per corosync section,
 * beside the one schema that reads them.
 */
import {
  isLinkNumber,
  isNodeId,
  type AutoTieBreakerNode,
  type LinkNumber,
  type NodeId,
  type QdeviceAlgorithm,
  type QdeviceConfig,
  type QuorumNode,
  type TieBreaker,
  type VotequorumConfig,
} from '../model/cluster';
import type { ConfDocument, ConfNode } from './conf-syntax';
import { mergedTopLevel, parseCorosyncInt, UINT16, UINT32, UINT8, type Body } from './conf-tree';

/** A section the typed view does not model, kept whole. */
export interface GenericSection {
  readonly name: string;
  /** Keys in file order; a repeated key keeps its last value, as cmap does. */
  readonly values: Readonly<Record<string, string>>;
  readonly sections: readonly GenericSection[];
}

interface Extras {
  /** Keys this view does not model, with their raw values. */
  readonly extra: Readonly<Record<string, string>>;
  /** Sub-sections this view does not model. */
  readonly extraSections: readonly GenericSection[];
}

export interface TotemInterface extends Extras {
  /** `linknumber`; 0 when absent, as corosync defaults it; NaN when it does not parse. */
  readonly linknumber: number;
  readonly knetLinkPriority?: number;
  readonly knetTransport?: string;
  readonly knetPingInterval?: number;
  readonly knetPingTimeout?: number;
  readonly knetPingPrecision?: number;
  readonly knetPongCount?: number;
  readonly bindnetaddr?: string;
  readonly mcastaddr?: string;
  readonly mcastport?: number;
  readonly ttl?: number;
}

export interface TotemConfig extends Extras {
  readonly clusterName?: string;
  /** `config_version` (uint64 in corosync); a bigint because it may exceed 2^53. */
  readonly configVersion?: bigint;
  readonly version?: number;
  readonly transport?: string;
  readonly cryptoCipher?: string;
  readonly cryptoHash?: string;
  readonly cryptoModel?: string;
  readonly secauth?: string;
  readonly keyfile?: string;
  readonly ipVersion?: string;
  /** Milliseconds. */
  readonly token?: number;
  /** Milliseconds added per node above 2. */
  readonly tokenCoefficient?: number;
  /** Milliseconds. */
  readonly consensus?: number;
  /** Milliseconds. */
  readonly join?: number;
  readonly linkMode?: string;
  readonly interfaces: readonly TotemInterface[];
}

export interface NodelistNode extends Extras {
  readonly name?: string;
  readonly nodeid?: number;
  readonly quorumVotes?: number;
  /** `ring0_addr`..`ring7_addr` by link number. */
  readonly links: Partial<Record<LinkNumber, string>>;
}

export interface QdeviceNetConfig extends Extras {
  readonly host?: string;
  readonly port?: number;
  readonly algorithm?: string;
  readonly tieBreaker?: string;
  readonly tls?: string;
  /** Milliseconds. */
  readonly connectTimeout?: number;
}

export interface QuorumDeviceConfig extends Extras {
  readonly model?: string;
  readonly votes?: number;
  /** Milliseconds. */
  readonly timeout?: number;
  /** Milliseconds. */
  readonly syncTimeout?: number;
  readonly net?: QdeviceNetConfig;
}

export interface QuorumSectionConfig extends Extras {
  readonly provider?: string;
  readonly expectedVotes?: number;
  readonly twoNode?: boolean;
  readonly waitForAll?: boolean;
  readonly lastManStanding?: boolean;
  /** Milliseconds. */
  readonly lastManStandingWindow?: number;
  readonly autoTieBreaker?: boolean;
  /** Raw `auto_tie_breaker_node`: `lowest`, `highest` or space-separated node ids. */
  readonly autoTieBreakerNode?: string;
  readonly allowDownscale?: boolean;
  readonly device?: QuorumDeviceConfig;
}

export interface LoggerSubsys extends Extras {
  readonly subsys?: string;
  readonly debug?: string;
}

export interface LoggingConfig extends Extras {
  readonly toSyslog?: string;
  readonly toStderr?: string;
  readonly toLogfile?: string;
  readonly logfile?: string;
  readonly debug?: string;
  readonly timestamp?: string;
  readonly fileline?: string;
  readonly functionName?: string;
  readonly syslogFacility?: string;
  readonly loggerSubsys: readonly LoggerSubsys[];
}

/** What a corosync.conf says, typed. Sections absent from the file read as empty. */
export interface CorosyncConfig extends Extras {
  readonly totem: TotemConfig;
  readonly nodes: readonly NodelistNode[];
  /** Keys directly in `nodelist` and sections there other than `node`. */
  readonly nodelistExtra: Extras;
  readonly quorum: QuorumSectionConfig;
  readonly logging: LoggingConfig;
}

type Kind = 'string' | 'uint8' | 'uint16' | 'uint32' | 'bool8';
type Schema = Readonly<Record<string, readonly [field: string, kind: Kind]>>;

const TOTEM: Schema = {
  cluster_name: ['clusterName', 'string'],
  version: ['version', 'uint32'],
  transport: ['transport', 'string'],
  crypto_cipher: ['cryptoCipher', 'string'],
  crypto_hash: ['cryptoHash', 'string'],
  crypto_model: ['cryptoModel', 'string'],
  secauth: ['secauth', 'string'],
  keyfile: ['keyfile', 'string'],
  ip_version: ['ipVersion', 'string'],
  token: ['token', 'uint32'],
  token_coefficient: ['tokenCoefficient', 'uint32'],
  consensus: ['consensus', 'uint32'],
  join: ['join', 'uint32'],
  link_mode: ['linkMode', 'string'],
};
const INTERFACE: Schema = {
  knet_link_priority: ['knetLinkPriority', 'uint8'],
  knet_transport: ['knetTransport', 'string'],
  knet_ping_interval: ['knetPingInterval', 'uint32'],
  knet_ping_timeout: ['knetPingTimeout', 'uint32'],
  knet_ping_precision: ['knetPingPrecision', 'uint32'],
  knet_pong_count: ['knetPongCount', 'uint32'],
  bindnetaddr: ['bindnetaddr', 'string'],
  mcastaddr: ['mcastaddr', 'string'],
  mcastport: ['mcastport', 'uint16'],
  ttl: ['ttl', 'uint8'],
};
const NODE: Schema = {
  name: ['name', 'string'],
  nodeid: ['nodeid', 'uint32'],
  quorum_votes: ['quorumVotes', 'uint32'],
};
const QUORUM: Schema = {
  provider: ['provider', 'string'],
  expected_votes: ['expectedVotes', 'uint32'],
  two_node: ['twoNode', 'bool8'],
  wait_for_all: ['waitForAll', 'bool8'],
  last_man_standing: ['lastManStanding', 'bool8'],
  last_man_standing_window: ['lastManStandingWindow', 'uint32'],
  auto_tie_breaker: ['autoTieBreaker', 'bool8'],
  auto_tie_breaker_node: ['autoTieBreakerNode', 'string'],
  allow_downscale: ['allowDownscale', 'bool8'],
};
const DEVICE: Schema = {
  model: ['model', 'string'],
  votes: ['votes', 'uint32'],
  timeout: ['timeout', 'uint32'],
  sync_timeout: ['syncTimeout', 'uint32'],
};
const NET: Schema = {
  host: ['host', 'string'],
  port: ['port', 'uint16'],
  algorithm: ['algorithm', 'string'],
  tie_breaker: ['tieBreaker', 'string'],
  tls: ['tls', 'string'],
  connect_timeout: ['connectTimeout', 'uint32'],
};
const LOGGING: Schema = {
  to_syslog: ['toSyslog', 'string'],
  to_stderr: ['toStderr', 'string'],
  to_logfile: ['toLogfile', 'string'],
  logfile: ['logfile', 'string'],
  debug: ['debug', 'string'],
  timestamp: ['timestamp', 'string'],
  fileline: ['fileline', 'string'],
  function_name: ['functionName', 'string'],
  syslog_facility: ['syslogFacility', 'string'],
};
const SUBSYS: Schema = { subsys: ['subsys', 'string'], debug: ['debug', 'string'] };

function convert(value: string, kind: Kind): string | number | boolean | undefined {
  switch (kind) {
    case 'string':
      return value;
    case 'uint8':
      return parseCorosyncInt(value, 0, UINT8);
    case 'uint16':
      return parseCorosyncInt(value, 0, UINT16);
    case 'uint32':
      return parseCorosyncInt(value, 0, UINT32);
    case 'bool8': {
      const n = parseCorosyncInt(value, 0, UINT8);
      return n === undefined ? undefined : n !== 0;
    }
  }
}

/** Read a section's keys by schema; the rest go to `extra`, sub-sections not in `known` to `extraSections`. */
function readSection(body: Body, schema: Schema, known: readonly string[] = []): Record<string, unknown> & Extras {
  const out: Record<string, unknown> = {};
  const extra: Record<string, string> = {};
  const extraSections: GenericSection[] = [];
  for (const n of body) {
    if (n.kind === 'pair') {
      const spec = schema[n.key];
      if (spec) {
        const v = convert(n.value, spec[1]);
        if (v === undefined) {
          delete out[spec[0]];
        } else {
          out[spec[0]] = v;
        }
      } else {
        extra[n.key] = n.value;
      }
    } else if (n.kind === 'section' && !known.includes(n.name)) {
      extraSections.push(generic(n.name, n.body));
    }
  }
  return { ...out, extra, extraSections };
}

function generic(name: string, body: readonly ConfNode[]): GenericSection {
  const values: Record<string, string> = {};
  const sections: GenericSection[] = [];
  for (const n of body) {
    if (n.kind === 'pair') {
      values[n.key] = n.value;
    } else if (n.kind === 'section') {
      sections.push(generic(n.name, n.body));
    }
  }
  return { name, values, sections };
}

const RING_ADDR = /^ring(\d+)_addr$/;

function readNode(body: Body): NodelistNode {
  const base = readSection(body, NODE);
  const links: Partial<Record<LinkNumber, string>> = {};
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(base.extra)) {
    const m = RING_ADDR.exec(k);
    const link = m ? Number(m[1]) : NaN;
    if (isLinkNumber(link)) {
      links[link] = v;
    } else {
      extra[k] = v;
    }
  }
  return { ...(base as unknown as NodelistNode), links, extra };
}

function readInterface(body: Body): TotemInterface {
  const base = readSection(body, INTERFACE);
  const extra: Record<string, string> = { ...base.extra };
  // corosync 3 reads only `linknumber` (default 0); the corosync 2 `ringnumber` stays an unknown key.
  const raw = extra.linknumber;
  delete extra.linknumber;
  const linknumber = raw === undefined ? 0 : (parseCorosyncInt(raw, 0, UINT8) ?? NaN);
  return { ...(base as unknown as TotemInterface), linknumber, extra };
}

function sectionsIn(body: Body | undefined, name: string): Body[] {
  if (!body) {
    return [];
  }
  const out: Body[] = [];
  for (const n of body) {
    if (n.kind === 'section' && n.name === name) {
      out.push(n.body);
    }
  }
  return out;
}

/** Merge sub-sections of one name (cmap merges `device { }` given twice). */
function merged(body: Body | undefined, name: string): Body | undefined {
  const all = sectionsIn(body, name);
  return all.length === 0 ? undefined : all.flat();
}

/** The typed view of a parsed corosync.conf. Never fails: missing sections read as empty. */
export function readConf(doc: ConfDocument): CorosyncConfig {
  const totemBody = mergedTopLevel(doc, 'totem') ?? [];
  const totemBase = readSection(totemBody, TOTEM, ['interface']);
  const cv = totemBody.filter((n) => n.kind === 'pair' && n.key === 'config_version').pop();
  const configVersion =
    cv && cv.kind === 'pair' && /^[0-9]+$/.test(cv.value.trim()) ? BigInt(cv.value.trim()) : undefined;
  const totemExtra = { ...totemBase.extra };
  delete totemExtra.config_version;
  const totem: TotemConfig = {
    ...(totemBase as unknown as TotemConfig),
    ...(configVersion === undefined ? {} : { configVersion }),
    extra: totemExtra,
    interfaces: sectionsIn(totemBody, 'interface').map(readInterface),
  };

  const nodelistBody = mergedTopLevel(doc, 'nodelist') ?? [];
  const nodelistBase = readSection(nodelistBody, {}, ['node']);
  const nodes = sectionsIn(nodelistBody, 'node').map(readNode);

  const quorumBody = mergedTopLevel(doc, 'quorum') ?? [];
  const quorumBase = readSection(quorumBody, QUORUM, ['device']);
  // votequorum reads `expected_votes: 0` as "not set" and computes it from the nodelist.
  if (quorumBase.expectedVotes === 0) {
    delete quorumBase.expectedVotes;
  }
  const deviceBody = merged(quorumBody, 'device');
  let device: QuorumDeviceConfig | undefined;
  if (deviceBody) {
    const netBody = merged(deviceBody, 'net');
    const deviceBase = readSection(deviceBody, DEVICE, ['net']);
    device = {
      ...(deviceBase as unknown as QuorumDeviceConfig),
      ...(netBody ? { net: readSection(netBody, NET) as unknown as QdeviceNetConfig } : {}),
    };
  }
  const quorum: QuorumSectionConfig = {
    ...(quorumBase as unknown as QuorumSectionConfig),
    ...(device ? { device } : {}),
  };

  const loggingBody = mergedTopLevel(doc, 'logging') ?? [];
  const loggingBase = readSection(loggingBody, LOGGING, ['logger_subsys']);
  const logging: LoggingConfig = {
    ...(loggingBase as unknown as LoggingConfig),
    loggerSubsys: sectionsIn(loggingBody, 'logger_subsys').map(
      (b) => readSection(b, SUBSYS) as unknown as LoggerSubsys,
    ),
  };

  const top = readSection(doc.body, {}, ['totem', 'nodelist', 'quorum', 'logging']);
  return {
    totem,
    nodes,
    nodelistExtra: { extra: nodelistBase.extra, extraSections: nodelistBase.extraSections },
    quorum,
    logging,
    extra: top.extra,
    extraSections: top.extraSections,
  };
}

/** The name a node is known by: `name`, else its lowest link address (as Proxmox falls back to ring0_addr). */
export function nodeLabel(node: NodelistNode): string {
  if (node.name !== undefined) {
    return node.name;
  }
  for (const l of [0, 1, 2, 3, 4, 5, 6, 7] as const) {
    if (node.links[l] !== undefined) {
      return node.links[l];
    }
  }
  return node.nodeid !== undefined ? `nodeid ${node.nodeid}` : '(unnamed node)';
}

function parseTieBreaker(raw: string | undefined): TieBreaker {
  if (raw === undefined || raw === 'lowest') {
    return 'lowest';
  }
  if (raw === 'highest') {
    return 'highest';
  }
  const n = parseCorosyncInt(raw, 1, UINT32);
  return n !== undefined && isNodeId(n) ? n : 'lowest';
}

/** Parse `auto_tie_breaker_node`: `lowest`, `highest`, or node ids separated by blanks. */
export function parseAutoTieBreakerNode(raw: string | undefined): AutoTieBreakerNode | undefined {
  if (raw === undefined || raw.trim() === 'lowest') {
    return 'lowest';
  }
  if (raw.trim() === 'highest') {
    return 'highest';
  }
  const ids = raw
    .trim()
    .split(/\s+/)
    .map((t) => parseCorosyncInt(t, 1, UINT32));
  if (ids.length === 0 || ids.some((n) => n === undefined || !isNodeId(n))) {
    return undefined;
  }
  return ids as NodeId[];
}

/**
 * The nodeid corosync gives a node that has none: on udp/udpu (never knet) it is the node's IPv4
 * ring0 address read as a 32-bit number, with the top bit cleared under `clear_node_high_bit: yes`
 * (totemconfig.c; checked against corosync 3.1.7's "Generated nodeid" log). A hostname would need
 * name resolution, and IPv6 needs an explicit nodeid, so both give undefined here.
 */
export function derivedNodeId(conf: CorosyncConfig, node: NodelistNode): number | undefined {
  const transport = conf.totem.transport ?? 'knet';
  if (transport !== 'udp' && transport !== 'udpu') {
    return undefined;
  }
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(node.links[0] ?? '');
  if (!m) {
    return undefined;
  }
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) {
    return undefined;
  }
  let id = ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
  if (conf.totem.extra.clear_node_high_bit === 'yes') {
    id = id & 0x7fffffff;
  }
  return id === 0 ? undefined : id;
}

/**
 * The votequorum inputs of a config, for `engine/model`. Nodes without a valid nodeid are left out
 * (corosync cannot run them; `validateConf` reports them). A `quorum.device` counts only with
 * `model: net` and a host, as corosync-qdevice needs both.
 */
export function toVotequorumConfig(conf: CorosyncConfig): VotequorumConfig {
  const nodes: QuorumNode[] = [];
  for (const n of conf.nodes) {
    const nodeid = n.nodeid ?? derivedNodeId(conf, n);
    if (nodeid === undefined || !isNodeId(nodeid)) {
      continue;
    }
    nodes.push({ name: nodeLabel(n), nodeid, votes: n.quorumVotes ?? 1 });
  }
  const q = conf.quorum;
  const d = q.device;
  let qdevice: QdeviceConfig | undefined;
  if (d && d.model === 'net' && d.net?.host !== undefined) {
    const algorithm: QdeviceAlgorithm = d.net.algorithm === 'lms' ? 'lms' : 'ffsplit';
    const tls = d.net.tls;
    qdevice = {
      model: 'net',
      host: d.net.host,
      algorithm,
      tieBreaker: parseTieBreaker(d.net.tieBreaker),
      ...(d.votes !== undefined ? { votes: d.votes } : {}),
      ...(d.net.port !== undefined ? { port: d.net.port } : {}),
      ...(tls === 'on' || tls === 'off' || tls === 'required' ? { tls } : {}),
    };
  }
  return {
    nodes,
    ...(q.expectedVotes !== undefined ? { expectedVotes: q.expectedVotes } : {}),
    twoNode: q.twoNode ?? false,
    ...(q.waitForAll !== undefined ? { waitForAll: q.waitForAll } : {}),
    lastManStanding: q.lastManStanding ?? false,
    lastManStandingWindowMs: q.lastManStandingWindow ?? 10000,
    autoTieBreaker: q.autoTieBreaker ?? false,
    autoTieBreakerNode: parseAutoTieBreakerNode(q.autoTieBreakerNode) ?? 'lowest',
    ...(qdevice ? { qdevice } : {}),
  };
}
