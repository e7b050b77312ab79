import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCrmMon, parseCrmTime } from '../../../engine/ha/crm-mon';

const sample = (name: string): string => readFileSync(join(__dirname, 'samples', `crm_mon-${name}.xml`), 'utf8');
const parse = (name: string) => {
  const r = parseCrmMon(sample(name));
  if (!r.ok) {
    throw new Error(r.error.message);
  }
  return r.value;
};

// Samples: real crm_mon --output-as=xml from Pacemaker 2.1.5 in a 3-node lab (addresses rewritten to 198.18.0.x).
describe('crm_mon --output-as=xml', () => {
  it('reads the DC, quorum, fencing and every node of a fresh cluster', () => {
    const s = parse('empty');
    expect(s).toMatchObject({ engine: 'pacemaker', dc: 'node3', quorate: true, resources: [], failures: [] });
    expect(s.nodes.map((n) => [n.name, n.online, n.isDc])).toEqual([
      ['node1', true, false],
      ['node2', true, false],
      ['node3', true, true],
    ]);
  });

  it('reads where a floating IP runs', () => {
    const s = parse('vip');
    expect(s.fencing).toBe(false);
    expect(s.resources).toEqual([
      { id: 'vip', agent: 'ocf:heartbeat:IPaddr2', state: 'started', node: 'node1', group: null },
    ]);
  });

  it('reports a resource whose start failed as failed, with the failed action', () => {
    const s = parse('failed');
    expect(s.resources.find((r) => r.id === 'bad')).toMatchObject({ state: 'failed', node: null });
    expect(s.failures).toEqual([
      {
        resource: 'bad',
        task: 'start',
        node: 'node2',
        reason: 'not configured: [findif] failed',
        at: Date.parse('2026-12-01T11:17:22Z'),
        call: 10,
      },
    ]);
  });

  it('reads standby nodes', () => {
    expect(parse('standby').nodes.find((n) => n.name === 'node2')).toMatchObject({ online: true, standby: true });
  });

  it('after a cut: the survivors hold quorum and the IP, the isolated node has neither', () => {
    const cut = parse('cut');
    expect(cut).toMatchObject({ dc: 'node3', quorate: true });
    expect(cut.nodes.find((n) => n.name === 'node1')?.online).toBe(false);
    expect(cut.resources.find((r) => r.id === 'vip')).toMatchObject({ state: 'started', node: 'node3' });
    const iso = parse('isolated');
    expect(iso).toMatchObject({ dc: 'node1', quorate: false });
    expect(iso.resources.find((r) => r.id === 'vip')).toMatchObject({ state: 'stopped', node: null });
  });

  it('refuses what is not crm_mon XML, and an error document, with codes', () => {
    expect(parseCrmMon('<html></html>')).toMatchObject({ ok: false, error: { code: 'ha.xml-parse' } });
    expect(parseCrmMon('<pacemaker-result><summary>')).toMatchObject({ ok: false, error: { code: 'ha.xml-parse' } });
    const down =
      '<pacemaker-result api-version="2.25" request="crm_mon --output-as=xml">\n  <status code="102" message="Not connected">\n    <errors>\n      <error>crm_mon: Error: cluster is not available on this node</error>\n    </errors>\n  </status>\n</pacemaker-result>\n';
    expect(parseCrmMon(down)).toMatchObject({ ok: false, error: { code: 'ha.not-running' } });
  });

  it('reads both time formats crm_mon prints', () => {
    expect(parseCrmTime('2026-12-01 11:17:22Z')).toBe(Date.parse('2026-12-01T11:17:22Z'));
    expect(parseCrmTime(undefined)).toBeNull();
    expect(parseCrmTime('garbage')).toBeNull();
  });

  it('finds resources inside groups and keeps the group name', () => {
    const xml = sample('vip').replace(
      /<resource id="vip"([\s\S]*?)<\/resource>/,
      '<group id="web" number_resources="1" maintenance="false" managed="true" disabled="false"><resource id="vip"$1</resource></group>',
    );
    const r = parseCrmMon(xml);
    expect(r.ok && r.value.resources).toEqual([
      { id: 'vip', agent: 'ocf:heartbeat:IPaddr2', state: 'started', node: 'node1', group: 'web' },
    ]);
  });
});
