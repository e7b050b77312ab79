import { describe, expect, it } from 'vitest';
import { addressOnSubnet, isNetworkOrBroadcast, parseCidr, parseIpAddrs, sameSubnet } from '../../../engine/ha/address';

describe('floating IP arithmetic', () => {
  it('parses CIDR and bare addresses, refuses the rest', () => {
    expect(parseCidr('198.18.0.100/24')).toEqual({ ip: '198.18.0.100', prefix: 24 });
    expect(parseCidr('198.18.0.100')).toEqual({ ip: '198.18.0.100', prefix: null });
    expect(parseCidr('198.18.0.300/24')).toBeNull();
    expect(parseCidr('198.18.0.1/33')).toBeNull();
    expect(parseCidr('fe80::1/64')).toBeNull();
  });

  it('knows subnets, network and broadcast addresses', () => {
    expect(sameSubnet('198.18.3.100', '198.18.3.1', 24)).toBe(true);
    expect(sameSubnet('198.18.4.100', '198.18.3.1', 24)).toBe(false);
    expect(sameSubnet('198.19.0.1', '198.18.0.1', 15)).toBe(true);
    expect(isNetworkOrBroadcast('198.18.3.0', 24)).toBe(true);
    expect(isNetworkOrBroadcast('198.18.3.255', 24)).toBe(true);
    expect(isNetworkOrBroadcast('198.18.3.7', 24)).toBe(false);
  });

  it('reads ip -4 -o addr show and finds the interface on the subnet', () => {
    const out =
      '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n' +
      '2: eth0    inet 198.18.3.1/24 scope global eth0\\       valid_lft forever preferred_lft forever\n' +
      '2: eth0    inet 198.18.3.129/25 scope global eth0\\       valid_lft forever preferred_lft forever\n';
    const addrs = parseIpAddrs(out);
    expect(addrs).toEqual([
      { dev: 'eth0', address: '198.18.3.1', prefix: 24 },
      { dev: 'eth0', address: '198.18.3.129', prefix: 25 },
    ]);
    expect(addressOnSubnet(addrs, '198.18.3.100', 24)?.address).toBe('198.18.3.1');
    expect(addressOnSubnet(addrs, '198.18.9.100', 24)).toBeUndefined();
  });
});
