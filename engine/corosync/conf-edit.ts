/**
 * Typed edits of a corosync.conf. Each returns a new document in which only the lines the edit is
 * about differ: new lines copy the file's line ending, indentation and `key: value` spacing, and
 * every edit bumps `totem.config_version` (adding it when absent), because corosync ignores a
 * reloaded file whose config_version did not grow.
 * Over 400 lines on purpose: every edit is built on the same line-preserving primitives at the top
 * (indentation, line ending, spacing, the config_version bump), which one file keeps private.
 */
import { err, ok, type Result } from '../result';
import {
  isLinkNumber,
  isNodeId,
  LINK_NUMBERS,
  type LinkNumber,
  type QdeviceAlgorithm,
  type TieBreaker,
} from '../model/cluster';
import type { ConfDocument, ConfNode, ConfPair, ConfSection } from './conf-syntax';
import { firstSection, lastPair, parseCorosyncInt, sectionsNamed, UINT8 } from './conf-tree';
import { checkAddress, isLinkAddress } from './names';
import {
  appendTopLevel,
  blankBetween,
  blankLine,
  childIndent,
  cloneDoc,
  detectStyle,
  insertionIndex,
  makePair,
  makeSection,
  removeNode as removeFromBody,
  separatorIn,
  setPairValue,
  type Style,
} from './conf-layout';

const RING_ADDR = /^ring(\d+)_addr$/;

interface Ctx {
  readonly doc: ConfDocument;
  readonly style: Style;
  readonly sep: string;
}

function context(doc: ConfDocument): Ctx {
  const copy = cloneDoc(doc);
  return { doc: copy, style: detectStyle(copy), sep: separatorIn(copy.body) };
}

function nodeSections(doc: ConfDocument): ConfSection[] {
  return sectionsNamed(doc.body, 'nodelist').flatMap((nl) => sectionsNamed(nl.body, 'node'));
}

function nodeName(node: ConfSection): string | undefined {
  return lastPair(node.body, 'name')?.value ?? lastPair(node.body, 'ring0_addr')?.value;
}

function findNode(doc: ConfDocument, name: string): ConfSection | undefined {
  return nodeSections(doc).find((n) => nodeName(n) === name);
}

function nodeLinks(node: ConfSection): Map<LinkNumber, ConfPair> {
  const links = new Map<LinkNumber, ConfPair>();
  for (const n of node.body) {
    if (n.kind !== 'pair') {
      continue;
    }
    const m = RING_ADDR.exec(n.key);
    const l = m ? Number(m[1]) : NaN;
    if (isLinkNumber(l)) {
      links.set(l, n);
    }
  }
  return links;
}

/** Links in use: any node's ringX_addr, else the interfaces' link numbers. */
function configuredLinks(doc: ConfDocument): LinkNumber[] {
  const set = new Set<LinkNumber>();
  for (const n of nodeSections(doc)) {
    for (const l of nodeLinks(n).keys()) {
      set.add(l);
    }
  }
  if (set.size === 0) {
    for (const i of interfaces(doc)) {
      if (isLinkNumber(i.linknumber)) {
        set.add(i.linknumber);
      }
    }
  }
  return LINK_NUMBERS.filter((l) => set.has(l));
}

function interfaces(doc: ConfDocument): { section: ConfSection; parent: ConfSection; linknumber: number }[] {
  return sectionsNamed(doc.body, 'totem').flatMap((t) =>
    sectionsNamed(t.body, 'interface').map((section) => {
      const raw = lastPair(section.body, 'linknumber')?.value;
      return { section, parent: t, linknumber: raw === undefined ? 0 : (parseCorosyncInt(raw, 0, UINT8) ?? NaN) };
    }),
  );
}

function allAddresses(doc: ConfDocument, except?: ConfSection): Map<string, string> {
  const owner = new Map<string, string>();
  for (const n of nodeSections(doc)) {
    if (n === except) {
      continue;
    }
    for (const p of nodeLinks(n).values()) {
      owner.set(p.value, nodeName(n) ?? '?');
    }
  }
  return owner;
}

/** Insert `nodes` into `section` after its last key/section; blank-line separated when `blank`. */
function insertInto(section: ConfSection, nodes: ConfNode[], at?: number, blank = false, eol = '\n'): void {
  const i = at ?? insertionIndex(section.body);
  section.body.splice(i, 0, ...(blank ? [blankLine(eol), ...nodes] : nodes));
}

/** Set `key` in `section` (its last occurrence), or add it after the last key/section. */
function setKey(ctx: Ctx, section: ConfSection, key: string, value: string, after?: string): void {
  const existing = lastPair(section.body, key);
  if (existing) {
    if (existing.value !== value) {
      setPairValue(existing, value);
    }
    return;
  }
  let at: number | undefined;
  if (after !== undefined) {
    const anchor = lastPair(section.body, after);
    if (anchor) {
      at = section.body.indexOf(anchor) + 1;
    }
  }
  insertInto(section, [makePair(childIndent(section, ctx.style), key, value, ctx.style.eol, ctx.sep)], at);
}

/** Remove every occurrence of `key` from `section`; true when something was removed. */
function deleteKey(section: ConfSection, key: string): boolean {
  const before = section.body.length;
  section.body = section.body.filter((n) => !(n.kind === 'pair' && n.key === key));
  return section.body.length !== before;
}

function topSection(ctx: Ctx, name: string, seed: (indent: string) => ConfNode[] = () => []): ConfSection {
  const found = firstSection(ctx.doc.body, name);
  if (found) {
    return found;
  }
  const section = makeSection('', name, ctx.style.eol, seed(ctx.style.unit));
  appendTopLevel(ctx.doc, [section], ctx.style);
  return section;
}

function bump(ctx: Ctx): Result<ConfDocument> {
  const totems = sectionsNamed(ctx.doc.body, 'totem');
  if (totems.length === 0) {
    return err(
      'corosync.no-totem',
      'corosync.conf has no totem section, so config_version cannot be bumped',
      'Add a "totem { }" section with cluster_name and config_version.',
    );
  }
  let current: ConfPair | undefined;
  for (const t of totems) {
    current = lastPair(t.body, 'config_version') ?? current;
  }
  if (!current) {
    const totem = totems[0]!;
    setKey(ctx, totem, 'config_version', '1', lastPair(totem.body, 'cluster_name') ? 'cluster_name' : undefined);
    return ok(ctx.doc);
  }
  const raw = current.value.trim();
  if (!/^[0-9]+$/.test(raw)) {
    return err(
      'corosync.config-version',
      `totem.config_version: expected an unsigned integer, got "${current.value}"`,
      'Set config_version to a number (the current one on the cluster) before editing.',
    );
  }
  setPairValue(current, (BigInt(raw) + 1n).toString());
  return ok(ctx.doc);
}

/** Add 1 to `totem.config_version` (setting it to 1 when absent). Fails without a totem section or with a non-numeric version. */
export function bumpConfigVersion(doc: ConfDocument): Result<ConfDocument> {
  return bump(context(doc));
}

export interface NewNode {
  readonly name: string;
  readonly nodeid: number;
  /** `quorum_votes`; written when given or when the other nodes carry the key (then 1). */
  readonly votes?: number;
  /** Address per link number; must cover exactly the links the other nodes use. */
  readonly links: Partial<Record<LinkNumber, string>>;
}

function linkList(links: Partial<Record<LinkNumber, string>>): LinkNumber[] {
  return LINK_NUMBERS.filter((l) => links[l] !== undefined);
}

/**
 * Add a `node { }` block to the nodelist, shaped like the existing ones (same key order and
 * separators). Refuses a duplicate name, nodeid or address, and a link set that differs from
 * the other nodes'.
 */
export function addNode(doc: ConfDocument, node: NewNode): Result<ConfDocument> {
  const ctx = context(doc);
  const where = `node "${node.name}"`;
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(node.name)) {
    return err(
      'corosync.node-name',
      `${where}: not a valid node name`,
      'Use the machine\'s hostname: letters, digits, "-" and ".".',
    );
  }
  if (!isNodeId(node.nodeid)) {
    return err(
      'corosync.nodeid',
      `${where}: nodeid must be an integer 1..4294967295, got ${node.nodeid}`,
      'Pick an unused positive nodeid.',
    );
  }
  if (node.votes !== undefined && !(Number.isInteger(node.votes) && node.votes >= 0)) {
    return err(
      'corosync.votes',
      `${where}: quorum_votes must be a non-negative integer, got ${node.votes}`,
      'Use 1 unless you mean to weight this node.',
    );
  }
  const existing = nodeSections(ctx.doc);
  if (existing.some((n) => nodeName(n) === node.name)) {
    return err(
      'corosync.duplicate-name',
      `${where} is already in the nodelist`,
      'Pick another name or remove the existing node first.',
    );
  }
  const idTaken = existing.find(
    (n) => parseCorosyncInt(lastPair(n.body, 'nodeid')?.value ?? '', 0, 0xffffffff) === node.nodeid,
  );
  if (idTaken) {
    return err(
      'corosync.duplicate-nodeid',
      `${where}: nodeid ${node.nodeid} is already used by "${nodeName(idTaken)}"`,
      'Pick an unused nodeid (Proxmox uses the lowest free one).',
    );
  }
  const links = linkList(node.links);
  if (links.length === 0) {
    return err(
      'corosync.missing-address',
      `${where}: needs at least one link address (link 0)`,
      'Give the address the node uses for corosync traffic.',
    );
  }
  const want = configuredLinks(ctx.doc);
  if (existing.length > 0 && want.join(',') !== links.join(',')) {
    return err(
      'corosync.link-mismatch',
      `${where}: has links ${links.join(', ')} but the cluster uses links ${want.join(', ')}`,
      'Give one address per cluster link, no more and no fewer.',
    );
  }
  const owners = allAddresses(ctx.doc);
  for (const l of links) {
    const addr = node.links[l]!;
    const good = checkAddress(`${where}: link ${l} address`, addr);
    if (!good.ok) {
      return good;
    }
    if (owners.has(addr)) {
      return err(
        'corosync.duplicate-address',
        `${where}: link ${l} address ${addr} is already used by "${owners.get(addr)}"`,
        'Each node needs its own address on every link.',
      );
    }
  }
  if (new Set(links.map((l) => node.links[l])).size !== links.length) {
    return err(
      'corosync.duplicate-address',
      `${where}: the same address is given for two links`,
      'Use a different network (address) per link.',
    );
  }

  const nodelist = topSection(ctx, 'nodelist');
  const template = existing[existing.length - 1];
  const values = new Map<string, string>([
    ['name', node.name],
    ['nodeid', String(node.nodeid)],
  ]);
  const templateHasVotes = template !== undefined && lastPair(template.body, 'quorum_votes') !== undefined;
  if (node.votes !== undefined || templateHasVotes) {
    values.set('quorum_votes', String(node.votes ?? 1));
  }
  for (const l of links) {
    values.set(`ring${l}_addr`, node.links[l]!);
  }
  const order: string[] = [];
  if (template) {
    for (const n of template.body) {
      if (n.kind === 'pair' && values.has(n.key) && !order.includes(n.key)) {
        order.push(n.key);
      }
    }
  }
  for (const k of values.keys()) {
    if (!order.includes(k)) {
      order.push(k);
    }
  }

  const parentIndent = template ? (/^[ \t]*/.exec(template.open.text)?.[0] ?? '') : childIndent(nodelist, ctx.style);
  const innerIndent = template ? childIndent(template, ctx.style) : parentIndent + ctx.style.unit;
  const sep = template ? separatorIn(template.body) : ctx.sep;
  const section = makeSection(
    parentIndent,
    'node',
    ctx.style.eol,
    order.map((k) => makePair(innerIndent, k, values.get(k)!, ctx.style.eol, sep)),
  );
  const at = template ? nodelist.body.indexOf(template) + 1 : undefined;
  insertInto(nodelist, [section], at === 0 ? undefined : at, blankBetween(nodelist.body, 'node'), ctx.style.eol);
  return bump(ctx);
}

/** Remove the node named `name` (its whole `node { }` block). Refuses an unknown name and the last node. */
export function removeNode(doc: ConfDocument, name: string): Result<ConfDocument> {
  const ctx = context(doc);
  const node = findNode(ctx.doc, name);
  if (!node) {
    return err(
      'corosync.unknown-node',
      `node "${name}" is not in the nodelist`,
      'Check the node name (the "name:" key in corosync.conf).',
    );
  }
  if (nodeSections(ctx.doc).length === 1) {
    return err(
      'corosync.last-node',
      `node "${name}" is the only node in the nodelist`,
      'A cluster needs at least one node; destroy the cluster instead.',
    );
  }
  for (const nl of sectionsNamed(ctx.doc.body, 'nodelist')) {
    const i = nl.body.indexOf(node);
    if (i === -1) {
      continue;
    }
    // Take one blank separator line with the block, so removing a node leaves the spacing as it was.
    const before = nl.body[i - 1];
    const after = nl.body[i + 1];
    const isBlank = (n: ConfNode | undefined): boolean => n?.kind === 'trivia' && n.line.text.trim() === '';
    if (isBlank(before) && (isBlank(after) || after === undefined || after.kind === 'section')) {
      nl.body.splice(i - 1, 2);
    } else {
      nl.body.splice(i, 1);
    }
  }
  return bump(ctx);
}

/** Set (or add) `ring<link>_addr` of one node. Refuses an address another node uses and a link the cluster does not have. */
export function setNodeLinkAddress(
  doc: ConfDocument,
  name: string,
  link: LinkNumber,
  address: string,
): Result<ConfDocument> {
  const ctx = context(doc);
  const node = findNode(ctx.doc, name);
  if (!node) {
    return err(
      'corosync.unknown-node',
      `node "${name}" is not in the nodelist`,
      'Check the node name (the "name:" key in corosync.conf).',
    );
  }
  if (!isLinkNumber(link)) {
    return err(
      'corosync.link-out-of-range',
      `link ${String(link)} is outside 0..7`,
      'corosync (knet) supports links 0 to 7.',
    );
  }
  if (!isLinkAddress(address)) {
    return err(
      'corosync.address',
      `node "${name}": ${JSON.stringify(address)} is not a usable address`,
      'Give an IP address (198.18.0.11, fd00::11) or a host name (pve1.lan).',
    );
  }
  if (!configuredLinks(ctx.doc).includes(link)) {
    return err(
      'corosync.unknown-link',
      `link ${link} is not configured in this cluster`,
      'Add the link to every node with addLink first.',
    );
  }
  const owner = allAddresses(ctx.doc, node).get(address);
  if (owner !== undefined) {
    return err(
      'corosync.duplicate-address',
      `node "${name}": address ${address} is already used by "${owner}"`,
      'Each node needs its own address on every link.',
    );
  }
  const current = nodeLinks(node).get(link);
  if (current) {
    setPairValue(current, address);
  } else {
    insertRingAddr(ctx, node, link, address);
  }
  return bump(ctx);
}

/** Put `ring<link>_addr` after the node's highest lower-numbered ring address (else after its last key). */
function insertRingAddr(ctx: Ctx, node: ConfSection, link: LinkNumber, address: string): void {
  const links = nodeLinks(node);
  let anchor: ConfPair | undefined;
  for (const [l, p] of links) {
    if (l < link && (anchor === undefined || node.body.indexOf(p) > node.body.indexOf(anchor))) {
      anchor = p;
    }
  }
  const sep = separatorIn(node.body);
  const pair = makePair(
    childIndent(node, ctx.style),
    `ring${link}_addr`,
    address,
    ctx.style.eol,
    sep === ': ' ? ctx.sep : sep,
  );
  insertInto(node, [pair], anchor ? node.body.indexOf(anchor) + 1 : undefined);
}

export interface NewLink {
  /** Address on the new link, by node name; every node needs one. */
  readonly addresses: Readonly<Record<string, string>>;
  /** knet_link_priority (0..255, higher is preferred in passive mode). */
  readonly knetLinkPriority?: number;
}

function newInterface(
  ctx: Ctx,
  totem: ConfSection,
  link: LinkNumber,
  priority: number | undefined,
  template: ConfSection | undefined,
): ConfSection {
  const outer = template ? (/^[ \t]*/.exec(template.open.text)?.[0] ?? '') : childIndent(totem, ctx.style);
  const inner = template ? childIndent(template, ctx.style) : outer + ctx.style.unit;
  const sep = template ? separatorIn(template.body) : ctx.sep;
  const values: [string, string][] = [['linknumber', String(link)]];
  if (priority !== undefined) {
    values.push(['knet_link_priority', String(priority)]);
  }
  // Follow the template's key order (Proxmox writes knet_link_priority before linknumber).
  if (template) {
    const keys = template.body.filter((n): n is ConfPair => n.kind === 'pair').map((p) => p.key);
    values.sort(
      (a, b) => (keys.includes(a[0]) ? keys.indexOf(a[0]) : 99) - (keys.includes(b[0]) ? keys.indexOf(b[0]) : 99),
    );
  }
  return makeSection(
    outer,
    'interface',
    ctx.style.eol,
    values.map(([k, v]) => makePair(inner, k, v, ctx.style.eol, sep)),
  );
}

/**
 * Add knet link `link`: an `interface { linknumber }` block in totem and `ring<link>_addr` on every
 * node. When totem has no interface blocks at all, blocks for the existing links are added too
 * (Proxmox requires one per link; corosync treats a bare block as the defaults).
 */
export function addLink(doc: ConfDocument, link: LinkNumber, spec: NewLink): Result<ConfDocument> {
  const ctx = context(doc);
  if (!isLinkNumber(link)) {
    return err(
      'corosync.link-out-of-range',
      `link ${String(link)} is outside 0..7`,
      'corosync (knet) supports links 0 to 7.',
    );
  }
  if (
    spec.knetLinkPriority !== undefined &&
    !(Number.isInteger(spec.knetLinkPriority) && spec.knetLinkPriority >= 0 && spec.knetLinkPriority <= 255)
  ) {
    return err(
      'corosync.link-priority',
      `link ${link}: knet_link_priority must be 0..255, got ${spec.knetLinkPriority}`,
      'Use a number from 0 to 255.',
    );
  }
  const existingLinks = configuredLinks(ctx.doc);
  const ifaces = interfaces(ctx.doc);
  if (existingLinks.includes(link) || ifaces.some((i) => i.linknumber === link)) {
    return err(
      'corosync.link-exists',
      `link ${link} is already configured`,
      'Pick an unused link number, or change addresses with setNodeLinkAddress.',
    );
  }
  const nodes = nodeSections(ctx.doc);
  const names = nodes.map((n) => nodeName(n) ?? '');
  const missing = names.filter((n) => spec.addresses[n] === undefined);
  if (missing.length > 0) {
    return err(
      'corosync.missing-address',
      `link ${link}: no address for ${missing.map((n) => `"${n}"`).join(', ')}`,
      'Give every node an address on the new link.',
    );
  }
  const unknown = Object.keys(spec.addresses).filter((n) => !names.includes(n));
  if (unknown.length > 0) {
    return err(
      'corosync.unknown-node',
      `link ${link}: ${unknown.map((n) => `"${n}"`).join(', ')} not in the nodelist`,
      'Give addresses only for nodes in the nodelist.',
    );
  }
  const owners = allAddresses(ctx.doc);
  const seen = new Set<string>();
  for (const n of names) {
    const a = spec.addresses[n]!;
    const good = checkAddress(`link ${link}: address of "${n}"`, a);
    if (!good.ok) {
      return good;
    }
    if (owners.has(a) || seen.has(a)) {
      return err(
        'corosync.duplicate-address',
        `link ${link}: address ${a} of "${n}" is already in use`,
        'Each node needs its own address, different from its other links.',
      );
    }
    seen.add(a);
  }
  const totem = firstSection(ctx.doc.body, 'totem');
  if (!totem) {
    return err('corosync.no-totem', 'corosync.conf has no totem section', 'Add a "totem { }" section first.');
  }
  const template = ifaces[ifaces.length - 1]?.section;
  const toAdd: ConfSection[] = [];
  if (ifaces.length === 0) {
    for (const l of existingLinks) {
      toAdd.push(newInterface(ctx, totem, l, undefined, undefined));
    }
  }
  toAdd.push(newInterface(ctx, totem, link, spec.knetLinkPriority, template));
  const parent = template ? ifaces[ifaces.length - 1]!.parent : totem;
  const at = template ? parent.body.indexOf(template) + 1 : undefined;
  insertInto(parent, toAdd, at);
  for (const node of nodes) {
    insertRingAddr(ctx, node, link, spec.addresses[nodeName(node) ?? '']!);
  }
  return bump(ctx);
}

/** Remove knet link `link`: its interface block(s) and every node's `ring<link>_addr`. Refuses the last link. */
export function removeLink(doc: ConfDocument, link: LinkNumber): Result<ConfDocument> {
  const ctx = context(doc);
  const links = configuredLinks(ctx.doc);
  const ifaces = interfaces(ctx.doc).filter((i) => i.linknumber === link);
  if (!links.includes(link) && ifaces.length === 0) {
    return err(
      'corosync.unknown-link',
      `link ${link} is not configured`,
      'Check the link number (ringX_addr / interface linknumber).',
    );
  }
  if (links.length === 1 && links[0] === link) {
    return err('corosync.last-link', `link ${link} is the only link`, 'Add another link before removing this one.');
  }
  for (const i of ifaces) {
    removeFromBody(i.parent.body, i.section);
  }
  for (const node of nodeSections(ctx.doc)) {
    deleteKey(node, `ring${link}_addr`);
  }
  return bump(ctx);
}

export interface QdeviceSettings {
  /** qnetd host (address or name). */
  readonly host: string;
  readonly algorithm: QdeviceAlgorithm;
  /** `quorum.device.votes`; default 1 for ffsplit, unset (corosync's default) for lms. */
  readonly votes?: number;
  readonly tieBreaker?: TieBreaker;
  readonly tls?: 'on' | 'off' | 'required';
  readonly port?: number;
}

export interface QdeviceEdit {
  readonly doc: ConfDocument;
  /** Keys removed because corosync refuses them beside a QDevice, e.g. `quorum.two_node`. */
  readonly removed: readonly string[];
}

/** Keys votequorum refuses together with `quorum.device` (votequorum.c, "not compatible"), when enabled. */
const QDEVICE_CONFLICTS = ['two_node', 'auto_tie_breaker', 'last_man_standing', 'allow_downscale'] as const;

/**
 * Set `quorum.device { model: net; votes; net { host; algorithm; … } }`, creating or updating it in
 * place, and remove the quorum keys corosync refuses beside a QDevice (`two_node`,
 * `auto_tie_breaker`, `last_man_standing`, `allow_downscale` when enabled): they are listed in
 * `removed` so a plan can say so. Note that dropping `two_node` also drops the `wait_for_all` it implied.
 */
export function setQdevice(doc: ConfDocument, settings: QdeviceSettings): Result<QdeviceEdit> {
  const ctx = context(doc);
  if (!isLinkAddress(settings.host)) {
    return err(
      'corosync.qdevice-host',
      `quorum.device.net.host: ${JSON.stringify(settings.host)} is not a usable host`,
      "Give the qnetd server's address or hostname.",
    );
  }
  if (settings.algorithm !== 'ffsplit' && settings.algorithm !== 'lms') {
    return err(
      'corosync.qdevice-algorithm',
      `quorum.device.net.algorithm: must be ffsplit or lms, got ${String(settings.algorithm)}`,
      'Use ffsplit for an even node count, lms otherwise.',
    );
  }
  if (settings.votes !== undefined && !(Number.isInteger(settings.votes) && settings.votes >= 1)) {
    return err(
      'corosync.qdevice-votes',
      `quorum.device.votes: must be a positive integer, got ${settings.votes}`,
      "Leave votes unset to use corosync's default.",
    );
  }
  if (
    settings.port !== undefined &&
    !(Number.isInteger(settings.port) && settings.port >= 1 && settings.port <= 65535)
  ) {
    return err(
      'corosync.qdevice-port',
      `quorum.device.net.port: must be 1..65535, got ${settings.port}`,
      'The qnetd default port is 5403.',
    );
  }
  const votes = settings.votes ?? (settings.algorithm === 'ffsplit' ? 1 : undefined);
  const quorum = topSection(ctx, 'quorum', (indent) => [
    makePair(indent, 'provider', 'corosync_votequorum', ctx.style.eol, ctx.sep),
  ]);
  if (votes === undefined && lastPair(quorum.body, 'expected_votes')) {
    return err(
      'corosync.qdevice-votes',
      'quorum.device.votes must be given when quorum.expected_votes is set',
      'Give the QDevice votes explicitly, or remove quorum.expected_votes.',
    );
  }
  const removed: string[] = [];
  for (const key of QDEVICE_CONFLICTS) {
    const p = lastPair(quorum.body, key);
    if (p && parseCorosyncInt(p.value, 0, UINT8) !== 0) {
      deleteKey(quorum, key);
      removed.push(`quorum.${key}`);
    }
  }
  let device = firstSection(quorum.body, 'device');
  if (!device) {
    device = makeSection(childIndent(quorum, ctx.style), 'device', ctx.style.eol, []);
    insertInto(quorum, [device]);
  }
  const inner = childIndent(device, ctx.style);
  const deviceUnit = inner.slice(/^[ \t]*/.exec(device.open.text)?.[0].length ?? 0) || ctx.style.unit;
  if (votes !== undefined) {
    setKey(ctx, device, 'votes', String(votes));
  } else {
    deleteKey(device, 'votes');
  }
  setKey(ctx, device, 'model', 'net');
  let net = firstSection(device.body, 'net');
  if (!net) {
    net = makeSection(inner, 'net', ctx.style.eol, []);
    net.body.push(makePair(inner + deviceUnit, 'host', settings.host, ctx.style.eol, ctx.sep));
    insertInto(device, [net]);
  }
  setKey(ctx, net, 'host', settings.host);
  setKey(ctx, net, 'algorithm', settings.algorithm);
  if (settings.tieBreaker !== undefined) {
    setKey(ctx, net, 'tie_breaker', String(settings.tieBreaker));
  }
  if (settings.tls !== undefined) {
    setKey(ctx, net, 'tls', settings.tls);
  }
  if (settings.port !== undefined) {
    setKey(ctx, net, 'port', String(settings.port));
  }
  const bumped = bump(ctx);
  if (!bumped.ok) {
    return bumped;
  }
  return ok({ doc: bumped.value, removed });
}

/** Remove `quorum.device` entirely. Refuses when there is none. */
export function removeQdevice(doc: ConfDocument): Result<ConfDocument> {
  const ctx = context(doc);
  let found = false;
  for (const q of sectionsNamed(ctx.doc.body, 'quorum')) {
    for (const d of sectionsNamed(q.body, 'device')) {
      found = removeFromBody(q.body, d) || found;
    }
  }
  if (!found) {
    return err(
      'corosync.no-qdevice',
      'corosync.conf has no quorum.device to remove',
      'Nothing to do: no QDevice is configured.',
    );
  }
  return bump(ctx);
}

/** votequorum options: `undefined` leaves a key as it is, `null` removes it. */
export interface VotequorumOptions {
  readonly two_node?: boolean | null;
  readonly wait_for_all?: boolean | null;
  readonly last_man_standing?: boolean | null;
  /** Milliseconds. */
  readonly last_man_standing_window?: number | null;
  readonly auto_tie_breaker?: boolean | null;
  readonly auto_tie_breaker_node?: 'lowest' | 'highest' | readonly number[] | null;
  readonly expected_votes?: number | null;
}

/** Set or remove votequorum keys in `quorum { }` (created with provider corosync_votequorum when absent). Booleans are written 1/0, as corosync requires. */
export function setVotequorumOptions(doc: ConfDocument, options: VotequorumOptions): Result<ConfDocument> {
  const ctx = context(doc);
  const quorum = topSection(ctx, 'quorum', (indent) => [
    makePair(indent, 'provider', 'corosync_votequorum', ctx.style.eol, ctx.sep),
  ]);
  for (const [key, v] of Object.entries(options) as [
    keyof VotequorumOptions,
    VotequorumOptions[keyof VotequorumOptions],
  ][]) {
    if (v === undefined) {
      continue;
    }
    if (v === null) {
      deleteKey(quorum, key);
      continue;
    }
    let value: string;
    if (typeof v === 'boolean') {
      value = v ? '1' : '0';
    } else if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        return err(
          'corosync.quorum-option',
          `quorum.${key}: must be a non-negative integer, got ${v}`,
          'Give a whole number.',
        );
      }
      value = String(v);
    } else if (typeof v === 'string') {
      value = v;
    } else {
      if (v.length === 0 || v.some((n) => !isNodeId(n))) {
        return err(
          'corosync.quorum-option',
          `quorum.${key}: node ids must be integers 1..4294967295`,
          'List nodeids from the nodelist, in order of preference.',
        );
      }
      value = v.join(' ');
    }
    // Keep the device block last in quorum: new keys go before it.
    const device = firstSection(quorum.body, 'device');
    if (!lastPair(quorum.body, key) && device) {
      const at = quorum.body.indexOf(device);
      quorum.body.splice(at, 0, makePair(childIndent(quorum, ctx.style), key, value, ctx.style.eol, ctx.sep));
    } else {
      setKey(ctx, quorum, key, value);
    }
  }
  return bump(ctx);
}
