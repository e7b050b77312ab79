/**
 * What a name or an address may be before Quorate writes it into corosync.conf, a file name, a
 * state path or a command. Pure predicates plus one checker that returns a clear error.
 *
 * Names: corosync itself accepts almost any string, but a cluster name becomes file names
 * (`cluster-NAME.crt`, `corosync.conf.removed-from-NAME`) and a state-folder key, and a node name is
 * written into the nodelist: letters, digits, `_`, `.` and `-`, not starting with `-` or `.`, at most 64
 * characters. Stricter policies (Proxmox's 15-character cluster rule) stay warnings in conf-validate.
 * Addresses: an IPv4 or IPv6 literal, or an RFC 1123 host name — what corosync's `ringX_addr` resolves.
 */
import { err, ok, type Result } from '../result';

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** A name Quorate can use in corosync.conf, file names and state paths. */
export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv4 dotted quad (no leading zeros, which some resolvers read as octal). */
export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

/** An IPv6 literal (RFC 4291 text forms, an embedded IPv4 tail allowed; no zone id). */
export function isIpv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(s)) {
    return false;
  }
  let body = s;
  let groupsNeeded = 8;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIpv4(tail)) {
      return false;
    }
    body = s.slice(0, lastColon + 1) + '0:0';
    groupsNeeded = 8;
  }
  const halves = body.split('::');
  if (halves.length > 2) {
    return false;
  }
  const groups = (h: string): string[] | null => {
    if (h === '') {
      return [];
    }
    const g = h.split(':');
    return g.every((x) => /^[0-9A-Fa-f]{1,4}$/.test(x)) ? g : null;
  };
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (!left || !right) {
    return false;
  }
  const n = left.length + right.length;
  return halves.length === 2 ? n < groupsNeeded : n === groupsNeeded;
}

/** An RFC 1123 host name: dot-separated labels of letters, digits and inner `-`, at most 253 characters. */
export function isHostname(s: string): boolean {
  if (s.length === 0 || s.length > 253) {
    return false;
  }
  return s
    .replace(/\.$/, '')
    .split('.')
    .every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

/** An address corosync can use for a link: an IP literal or a host name. */
export function isLinkAddress(s: string): boolean {
  return isIpv4(s) || isIpv6(s) || (isHostname(s) && !/^[0-9.]+$/.test(s));
}

/** `ok` when `name` is safe, else a `corosync.bad-name` error naming `where` and the bad value. */
export function checkName(where: string, name: string): Result<string> {
  return isSafeName(name)
    ? ok(name)
    : err(
        'corosync.bad-name',
        `${where}: ${JSON.stringify(name)} is not a name Quorate can use`,
        'Use up to 64 letters, digits, "_", "." and "-", starting with a letter, digit or "_".',
      );
}

/** `ok` when `address` is an IP literal or a host name, else a `corosync.bad-address` error. */
export function checkAddress(where: string, address: string): Result<string> {
  return isLinkAddress(address)
    ? ok(address)
    : err(
        'corosync.bad-address',
        `${where}: ${JSON.stringify(address)} is not an IP address or a host name`,
        'Give an IPv4 address (198.18.0.11), an IPv6 address (fd00::11) or a host name (pve1.lan).',
      );
}
