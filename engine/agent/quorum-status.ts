/**
 * `corosync-quorumtool -s` / `-m` output → `QuorumStatusFact`, and the change filter behind
 * `quorum.watch`. Pure: the watcher is fed with `push(chunk)` and calls back on change only.
 * Reading the text is engine/corosync's `parseQuorumtoolStatus`; this module only cuts a feed into
 * status blocks and projects the parsed status onto the agent's wire shape (`QuorumStatusFact`,
 * unchanged so agents and apps of different versions still understand each other).
 */
import { parseQuorumtoolStatus, type QuorumtoolStatus } from '../corosync/tool-quorumtool';
import { MAX_TOOL_OUTPUT } from '../corosync/tool-text';
import type { QuorumStatusFact } from './protocol';

/**
 * The parts of a parsed status the agent sends. Null without a votequorum section: expected votes,
 * total votes and quorum come from it, and Quorate only runs corosync with votequorum.
 */
export function quorumStatusFact(s: QuorumtoolStatus): QuorumStatusFact | null {
  const vq = s.votequorum;
  if (!vq) {
    return null;
  }
  return {
    quorate: s.quorate,
    ringId: s.ringId.raw,
    nodes: s.nodes,
    expectedVotes: vq.expectedVotes,
    totalVotes: vq.totalVotes,
    quorum: vq.quorum,
    flags: [...vq.flags, ...vq.otherFlags],
    members: s.members.map((m) => ({
      nodeid: m.nodeid,
      votes: m.votes,
      // The wire keeps the printed words (`A,V,NMW` → A, V, NMW; `NR`); watchers test for 'A' and 'V'.
      qdeviceFlags: m.qdevice ? m.qdevice.raw.split(',') : [],
      name: m.name,
      local: m.local,
    })),
    qdeviceVotes: s.qdevice ? s.qdevice.votes : null,
  };
}

/**
 * Parse one status block. Null when corosync did not answer with a votequorum status: the text is
 * empty, an error, cut off, or from another quorum provider.
 */
export function parseQuorumStatus(text: string): QuorumStatusFact | null {
  const parsed = parseQuorumtoolStatus(text);
  return parsed.ok ? quorumStatusFact(parsed.value) : null;
}

/** What a watcher reports: whether corosync answered, and its status. */
export interface QuorumObservation {
  readonly running: boolean;
  readonly status: QuorumStatusFact | null;
}

/** Each status block starts with this header (`-s`, and each event of `-m`). */
const BLOCK_START = /^Quorum information\s*$/;
/** A long dashed line also ends a block (section underlines are short). */
const BLOCK_END = /^-{40,}\s*$/;
const MEMBER_ROW = /^\s*(0x[0-9a-f]+|\d+)\s+\d+\s/i;

/**
 * Turns quorumtool output into change events. Two feeds:
 * - poll (`corosync-quorumtool -s` every few hundred ms): `push(stdout)` then `endBlock()`, or
 *   `observeDown()` when corosync did not answer;
 * - stream (`stdbuf -oL corosync-quorumtool -m`: 3.1.7 prints one status block per quorum event,
 *   back to back, each ending with a blank line after its member rows; without `stdbuf` nothing
 *   reaches a pipe until the tool exits): `push(chunk)`.
 * `onChange` fires only when the observation differs from the last one (the `Date:` line is ignored).
 */
export class QuorumWatchParser {
  readonly #onChange: (o: QuorumObservation) => void;
  /** The unfinished last line, in pieces (joined once its newline arrives: linear in the input). */
  #pending: string[] = [];
  #pendingLength = 0;
  #block: string[] = [];
  #blockLength = 0;
  #blockHasText = false;
  #sawMembershipTitle = false;
  #sawMembers = false;
  #last: string | null = null;

  constructor(onChange: (o: QuorumObservation) => void) {
    this.#onChange = onChange;
  }

  push(chunk: string): void {
    let from = 0;
    let nl = chunk.indexOf('\n');
    while (nl !== -1) {
      const head = chunk.slice(from, nl);
      const line = (this.#pending.length === 0 ? head : this.#pending.join('') + head).replace(/\r$/, '');
      this.#pending = [];
      this.#pendingLength = 0;
      this.#line(line);
      from = nl + 1;
      nl = chunk.indexOf('\n', from);
    }
    if (from < chunk.length) {
      this.#pending.push(chunk.slice(from));
      this.#pendingLength += chunk.length - from;
      if (this.#pendingLength > MAX_TOOL_OUTPUT) {
        // No real status has such a line: drop it (the block it was in can no longer parse either).
        this.#pending = [];
        this.#pendingLength = 0;
        this.#reset();
      }
    }
  }

  #line(line: string): void {
    if (BLOCK_END.test(line)) {
      this.#finish();
    } else if (line.trim() === '' && this.#sawMembers) {
      // The blank line after the member rows ends an `-m` event, so it is reported at once.
      this.#finish();
    } else {
      if (BLOCK_START.test(line) && this.#blockHasText) {
        this.#finish();
      }
      this.#block.push(line);
      this.#blockLength += line.length + 1;
      this.#blockHasText ||= line.trim() !== '';
      this.#sawMembershipTitle ||= /^Membership information/i.test(line);
      if (MEMBER_ROW.test(line) && this.#sawMembershipTitle) {
        this.#sawMembers = true;
      }
      if (this.#blockLength > MAX_TOOL_OUTPUT) {
        this.#reset();
      }
    }
  }

  #reset(): void {
    this.#block = [];
    this.#blockLength = 0;
    this.#blockHasText = false;
    this.#sawMembershipTitle = false;
    this.#sawMembers = false;
  }

  /** The text pushed so far is one complete block (poll mode). */
  endBlock(): void {
    if (this.#pending.length > 0) {
      this.#block.push(this.#pending.join(''));
      this.#pending = [];
      this.#pendingLength = 0;
    }
    this.#finish();
  }

  /** corosync did not answer (not running, or not installed). */
  observeDown(): void {
    this.#pending = [];
    this.#pendingLength = 0;
    this.#reset();
    this.#emit({ running: false, status: null });
  }

  #finish(): void {
    const text = this.#block.join('\n');
    this.#reset();
    if (text.trim() === '') {
      return;
    }
    const status = parseQuorumStatus(text);
    this.#emit({ running: status !== null, status });
  }

  #emit(o: QuorumObservation): void {
    const key = JSON.stringify(o);
    if (key === this.#last) {
      return;
    }
    this.#last = key;
    this.#onChange(o);
  }
}
