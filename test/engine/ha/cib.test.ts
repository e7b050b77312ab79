import { describe, expect, it } from 'vitest';
import { constraintsMentioning, followConstraintsXml, idFor, primitiveXml, validId } from '../../../engine/ha/cib';
import { parseXml } from '../../../engine/ha/xml';

describe('CIB builders', () => {
  it('builds an IPaddr2 primitive with a monitor op that parses back to the same values', () => {
    const x = primitiveXml({ kind: 'ip', id: 'ip-198.18.0.100', ip: '198.18.0.100', prefix: 24, nic: 'eth0' });
    expect(x.ok).toBe(true);
    const doc = parseXml(x.ok ? x.value : '');
    expect(doc.ok && doc.value.attrs).toEqual({
      id: 'ip-198.18.0.100',
      class: 'ocf',
      provider: 'heartbeat',
      type: 'IPaddr2',
    });
    const pairs = doc.ok ? doc.value.children[0]?.children.map((c) => [c.attrs.name, c.attrs.value]) : [];
    expect(pairs).toEqual([
      ['ip', '198.18.0.100'],
      ['cidr_netmask', '24'],
      ['nic', 'eth0'],
    ]);
    expect(x.ok && x.value).toContain('name="monitor" interval="10s"');
  });

  it('escapes every value, so a crafted value cannot add elements', () => {
    const x = primitiveXml({ kind: 'vm', id: 'vm-x', config: '/etc/libvirt/"a"&<b>\'.xml' });
    expect(x.ok && x.value).toContain('value="/etc/libvirt/&quot;a&quot;&amp;&lt;b&gt;&apos;.xml"');
    const doc = parseXml(x.ok ? x.value : '');
    expect(doc.ok && doc.value.children[0]?.children[0]?.attrs.value).toBe('/etc/libvirt/"a"&<b>\'.xml');
  });

  it('refuses ids Pacemaker refuses', () => {
    expect(validId('9abc')).toBe(false);
    expect(validId('a b')).toBe(false);
    expect(validId('a"b')).toBe(false);
    expect(validId('svc-nginx')).toBe(true);
    expect(primitiveXml({ kind: 'service', id: 'x"/><evil', unit: 'nginx', class: 'systemd' })).toMatchObject({
      ok: false,
      error: { code: 'ha.bad-id' },
    });
  });

  it('makes ids from labels', () => {
    expect(idFor({ kind: 'ip', ip: '198.18.0.100' })).toBe('ip-198.18.0.100');
    expect(idFor({ kind: 'service', unit: 'nginx.service' })).toBe('svc-nginx');
    expect(idFor({ kind: 'service', unit: 'getty@tty1.service' })).toBe('svc-getty_tty1');
  });

  it('a systemd service primitive drops .service; one created stopped carries target-role=Stopped', () => {
    const x = primitiveXml(
      { kind: 'service', id: 'svc-nginx', unit: 'nginx.service', class: 'systemd' },
      { stopped: true },
    );
    expect(x.ok && x.value).toMatch(/^<primitive id="svc-nginx" class="systemd" type="nginx">/);
    expect(x.ok && x.value).toContain('name="target-role" value="Stopped"');
  });

  it('"runs with" is a colocation with INFINITY and an order, and both are found again for removal', () => {
    const c = followConstraintsXml('svc-nginx', 'vip');
    expect(c.ok && c.value).toEqual([
      '<rsc_colocation id="col-svc-nginx-with-vip" rsc="svc-nginx" with-rsc="vip" score="INFINITY"/>',
      '<rsc_order id="ord-vip-then-svc-nginx" first="vip" then="svc-nginx" kind="Mandatory"/>',
    ]);
    const section = parseXml(
      `<constraints>${c.ok ? c.value.join('') : ''}<rsc_location id="cli-prefer-vip" rsc="vip" node="node2" score="INFINITY"/></constraints>`,
    );
    const els = section.ok ? section.value.children : [];
    expect(constraintsMentioning(els, 'vip')).toEqual([
      ['rsc_colocation', 'col-svc-nginx-with-vip'],
      ['rsc_order', 'ord-vip-then-svc-nginx'],
      ['rsc_location', 'cli-prefer-vip'],
    ]);
    expect(constraintsMentioning(els, 'svc-nginx')).toHaveLength(2);
  });
});
