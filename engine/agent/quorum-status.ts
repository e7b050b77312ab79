/**
 * `corosync-quorumtool -s` / `-m` output → `QuorumStatusFact`, and the change filter behind
 * `quorum.watch`. Pure: the watcher is fed with `push(chunk)` and calls back on change only.
 * (The agent cannot import engine/providers; this reads the few lines a watcher needs.)
 */
import type { QuorumMemberFact, QuorumStatusFact } from './protocol';

function field(text: string, name: string): string | undefined {
  const m = new RegExp(`^\\s*${name}:[ \\t]*(.*)$`, 'mi').exec(text);
  return m?.[1]?.trim();
}

const FLAG = '(?:N?A|N?V|N?MW|NR)';
const FLAGS_RE = new RegExp(`^(${FLAG}(?:,${FLAG})*)\\s+(.*)$`);

/** Parse one status block. Null when it holds no votequorum section (corosync down, or not votequorum). */
export function parseQuorumStatus(text: string): QuorumStatusFact | null {
  const quorate = field(text, 'Quorate');
  const expected = field(text, 'Expected votes');
  if (quorate === undefined || expected === undefined) return null;
  const num = (s: string | undefined): number => Number.parseInt((s ?? '').split(/\s/)[0] ?? '', 10);
  const members: QuorumMemberFact[] = [];
  let qdeviceVotes: number | null = null;
  const section = text.split(/Membership information[ \t]*\r?\n[-\s]*?\r?\n/i)[1] ?? '';
  for (const line of section.split('\n')) {
    const m = /^(0x[0-9a-f]+|\d+)\s+(\d+)\s+(.*)$/i.exec(line.trim());
    if (!m) continue;
    const nodeid = m[1]!.startsWith('0x') ? Number.parseInt(m[1]!, 16) : Number(m[1]);
    let rest = m[3]!.trim();
    if (nodeid === 0 && /^Qdevice\b/i.test(rest)) {
      qdeviceVotes = Number(m[2]);
      continue;
    }
    let qdeviceFlags: string[] = [];
    const f = FLAGS_RE.exec(rest);
    if (f) {
      qdeviceFlags = f[1]!.split(',');
      rest = f[2]!;
    }
    const local = /\(local\)\s*$/.test(rest);
    members.push({ nodeid, votes: Number(m[2]), qdeviceFlags, name: rest.replace(/\s*\(local\)\s*$/, ''), local });
  }
  return {
    quorate: /^yes/i.test(quorate),
    ringId: field(text, 'Ring ID') ?? null,
    nodes: num(field(text, 'Nodes')),
    expectedVotes: num(expected),
    totalVotes: num(field(text, 'Total votes')),
    quorum: num(field(text, 'Quorum')),
    flags: (field(text, 'Flags') ?? '').split(/\s+/).filter(Boolean),
    members,
    qdeviceVotes,
  };
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
  #pending = '';
  #block: string[] = [];
  #sawMembers = false;
  #last: string | null = null;

  constructor(onChange: (o: QuorumObservation) => void) {
    this.#onChange = onChange;
  }

  push(chunk: string): void {
    this.#pending += chunk;
    let nl = this.#pending.indexOf('\n');
    while (nl !== -1) {
      const line = this.#pending.slice(0, nl).replace(/\r$/, '');
      this.#pending = this.#pending.slice(nl + 1);
      if (BLOCK_END.test(line)) {
        this.#finish();
      } else if (line.trim() === '' && this.#sawMembers) {
        // The blank line after the member rows ends an `-m` event, so it is reported at once.
        this.#finish();
      } else {
        if (BLOCK_START.test(line) && this.#block.some((l) => l.trim() !== '')) this.#finish();
        this.#block.push(line);
        if (MEMBER_ROW.test(line) && this.#block.some((l) => /^Membership information/i.test(l))) this.#sawMembers = true;
      }
      nl = this.#pending.indexOf('\n');
    }
  }

  /** The text pushed so far is one complete block (poll mode). */
  endBlock(): void {
    if (this.#pending !== '') {
      this.#block.push(this.#pending);
      this.#pending = '';
    }
    this.#finish();
  }

  /** corosync did not answer (not running, or not installed). */
  observeDown(): void {
    this.#pending = '';
    this.#block = [];
    this.#sawMembers = false;
    this.#emit({ running: false, status: null });
  }

  #finish(): void {
    const text = this.#block.join('\n');
    this.#block = [];
    this.#sawMembers = false;
    if (text.trim() === '') return;
    const status = parseQuorumStatus(text);
    this.#emit({ running: status !== null, status });
  }

  #emit(o: QuorumObservation): void {
    const key = JSON.stringify(o);
    if (key === this.#last) return;
    this.#last = key;
    this.#onChange(o);
  }
}
