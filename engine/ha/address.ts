/** IPv4 arithmetic for floating IPs: parse `A.B.C.D/N`, subnet membership, `ip -4 -o addr` output. Pure. */

export interface Ipv4Cidr {
  readonly ip: string;
  readonly prefix: number;
}

/** `198.18.0.100/24` (or a bare address: prefix null) → parts; null when it is not IPv4. */
export function parseCidr(text: string): { ip: string; prefix: number | null } | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text.trim());
  if (!m) {
    return null;
  }
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) {
    return null;
  }
  const prefix = m[5] === undefined ? null : Number(m[5]);
  if (prefix !== null && (prefix < 1 || prefix > 32)) {
    return null;
  }
  return { ip: octets.join('.'), prefix };
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
}

export function sameSubnet(a: string, b: string, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (ipToInt(a) & mask) === (ipToInt(b) & mask);
}

/** The network and broadcast addresses of a subnet cannot float. */
export function isNetworkOrBroadcast(ip: string, prefix: number): boolean {
  if (prefix >= 31) {
    return false;
  }
  const host = ipToInt(ip) & (~((0xffffffff << (32 - prefix)) >>> 0) >>> 0);
  return host === 0 || host === ~((0xffffffff << (32 - prefix)) >>> 0) >>> 0;
}

export interface NodeAddress {
  readonly address: string;
  readonly prefix: number;
  readonly dev: string;
}

/** `ip -4 -o addr show` → addresses (loopback left out). */
export function parseIpAddrs(stdout: string): NodeAddress[] {
  const out: NodeAddress[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(line);
    if (m && m[1] !== 'lo') {
      out.push({ dev: m[1] as string, address: m[2] as string, prefix: Number(m[3]) });
    }
  }
  return out;
}

/** The address of a node on the subnet of `ip` (same prefix), if any. */
export function addressOnSubnet(addrs: readonly NodeAddress[], ip: string, prefix: number): NodeAddress | undefined {
  return addrs.find((a) => a.prefix === prefix && sameSubnet(a.address, ip, prefix));
}
