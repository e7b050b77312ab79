import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCfgtoolNodes, parseCfgtoolStatus } from '../../../engine/corosync/tool-cfgtool';
import { parsePvecmNodes, parsePvecmStatus } from '../../../engine/corosync/tool-pvecm';
import { parseQnetdList, parseQnetdStatus } from '../../../engine/corosync/tool-qnetd';
import { parseQuorumtoolList, parseQuorumtoolStatus } from '../../../engine/corosync/tool-quorumtool';

const sample = (name: string) =>
  readFileSync(fileURLToPath(new URL(`./tool-samples/${name}/output.txt`, import.meta.url)), 'utf8');

function errorOf(r: { ok: boolean; error?: { code: string; message: string; hint: string } }) {
  expect(r.ok).toBe(false);
  return r.error as { code: string; message: string; hint: string };
}

describe('tool-output parsers on malformed input', () => {
  it('refuses empty output with a hint about stderr', () => {
    for (const r of [
      parseQuorumtoolStatus(''),
      parseQuorumtoolList('\n'),
      parseCfgtoolStatus(''),
      parseCfgtoolNodes(' '),
      parseQnetdStatus(''),
      parsePvecmStatus(''),
      parsePvecmNodes(''),
    ]) {
      const e = errorOf(r);
      expect(e.code).toBe('corosync.tool-output');
      expect(e.message).toMatch(/empty/);
      expect(e.hint).toMatch(/stderr/);
    }
  });

  it('refuses what quorumtool prints when corosync is not running', () => {
    const e = errorOf(parseQuorumtoolStatus('Cannot initialize QUORUM service\n'));
    expect(e.message).toContain('corosync-quorumtool -s');
    expect(e.message).toMatch(/Quorum information/);
  });

  it('names the line of a broken membership row', () => {
    const text = sample('quorumtool-s-three-nodes-quorate').replace(
      '         2          1 node2',
      '         2          x node2',
    );
    const line = text.split('\n').findIndex((l) => l.includes('x node2')) + 1;
    const e = errorOf(parseQuorumtoolStatus(text));
    expect(e.message).toContain(`line ${line}`);
  });

  it('refuses an unknown QDevice state in the Qdevice column', () => {
    const e = errorOf(parseQuorumtoolStatus(sample('quorumtool-s-qdevice').replace('A,V,NMW node2', 'A,X,NMW node2')));
    expect(e.message).toMatch(/Qdevice state/);
  });

  it('refuses a Quorum line that is not a number', () => {
    const e = errorOf(
      parseQuorumtoolStatus(
        sample('quorumtool-s-cut-node-inquorate').replace(
          'Quorum:           2 Activity blocked',
          'Quorum:           two',
        ),
      ),
    );
    expect(e.message).toMatch(/Quorum should be a number/);
  });

  it('refuses a member node id above 32 bits', () => {
    const text = sample('quorumtool-l-three-nodes').replace(
      '         3          1 node3',
      '0x100000000          1 node3',
    );
    expect(errorOf(parseQuorumtoolList(text)).message).toMatch(/node id/);
  });

  it('reads CRLF output like LF output', () => {
    const lf = parseQuorumtoolStatus(sample('quorumtool-s-qdevice'));
    const crlf = parseQuorumtoolStatus(sample('quorumtool-s-qdevice').replace(/\n/g, '\r\n'));
    expect(crlf).toEqual(lf);
    expect(lf.ok).toBe(true);
  });

  it('keeps QDevice extra info apart from the node name', () => {
    const r = parseQuorumtoolList(sample('quorumtool-l-qdevice').replace('A,V,NMW node2', 'A,V,NMW node2 [dc1]'));
    expect(r.ok && r.value.members[1]).toMatchObject({ name: 'node2', extraInfo: 'dc1', local: false });
  });

  it('keeps unknown votequorum flags instead of dropping them', () => {
    const r = parseQuorumtoolStatus(sample('quorumtool-s-two-node').replace('WaitForAll ', 'WaitForAll FutureFlag '));
    expect(r.ok && r.value.votequorum?.otherFlags).toEqual(['FutureFlag']);
    expect(r.ok && r.value.votequorum?.flags).toEqual(['2Node', 'Quorate', 'WaitForAll']);
  });

  it('refuses cfgtool output without its header', () => {
    const e = errorOf(parseCfgtoolStatus(sample('cfgtool-s-three-nodes').split('\n').slice(1).join('\n')));
    expect(e.message).toMatch(/Local node ID/);
  });

  it('refuses a cfgtool link number outside 0..7', () => {
    expect(
      errorOf(parseCfgtoolStatus(sample('cfgtool-s-three-nodes').replace('LINK ID 0', 'LINK ID 9'))).message,
    ).toMatch(/0\.\.7/);
  });

  it('refuses an unknown line in qnetd-tool -l', () => {
    expect(errorOf(parseQnetdList(sample('qnetd-tool-l').replace('Vote:', 'Mood:'))).message).toMatch(
      /unexpected client line/,
    );
  });

  it('reads an empty qnetd-tool -l as no clusters', () => {
    expect(parseQnetdList('')).toEqual({ ok: true, value: { clusters: [] } });
  });

  it('reads a tie-breaker node id from qnetd-tool -l', () => {
    const r = parseQnetdList(sample('qnetd-tool-l').replace('Node with lowest node ID', 'Node with node ID 2'));
    expect(r.ok && r.value.clusters[0]?.tieBreaker).toBe(2);
  });

  it('refuses pvecm status cut off after the quorum section', () => {
    const text = sample('pvecm-status-lab-three-nodes');
    const cut = text.slice(0, text.indexOf('Votequorum information'));
    expect(errorOf(parsePvecmStatus(cut)).message).toMatch(/Membership information/);
  });
});
