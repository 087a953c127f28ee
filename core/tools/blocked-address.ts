import { isIPv4, isIPv6 } from 'node:net';

/**
 * Why an IP address must never be fetched by the gateway, or undefined when it is an ordinary
 * public address. This is the SSRF guard: a URL the model or an admin supplies must not reach
 * the machine itself, the private network, cloud metadata (169.254.169.254) or anything else that
 * is not the public internet.
 *
 * Accepts IPv4 dotted quads and IPv6 (with or without brackets, with a `%zone` suffix, with an
 * embedded dotted quad). Anything else, including the legacy forms `0x7f.1` or `2130706433`,
 * is refused as "not an IP address": callers hand this resolved or URL-normalized addresses, so
 * an odd form means something is wrong and refusing is the safe answer.
 */
export function blockedAddressReason(ip: string): string | undefined {
  const v4 = parseIPv4(ip);
  if (v4 !== undefined) return ipv4Reason(v4);
  const v6 = parseIPv6(ip);
  if (v6 !== undefined) return ipv6Reason(v6);
  return 'not an IP address';
}

/** [network, prefix length, reason]; the first match wins, so narrower ranges come first. */
type Range = readonly [network: string, bits: number, reason: string];

// IANA IPv4 special-purpose registry, minus nothing: none of these is a public web server.
const IPV4_BLOCKED: readonly Range[] = [
  ['255.255.255.255', 32, 'broadcast'],
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const IPV4_RANGES = IPV4_BLOCKED.map(([net, bits, reason]) => ({ net: toUint32(parseIPv4(net)!), bits, reason }));

function ipv4Reason(bytes: readonly number[]): string | undefined {
  const value = toUint32(bytes);
  return IPV4_RANGES.find(({ net, bits }) => value >>> (32 - bits) === net >>> (32 - bits))?.reason;
}

// Checked on the eight 16-bit groups. Only 2000::/3 is global unicast today, so everything
// outside it is refused (see ipv6Reason); these are the named exceptions around and inside it.
const IPV6_BLOCKED: readonly Range[] = [
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['fc00::', 7, 'unique local'],
  ['ff00::', 8, 'multicast'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['2001:2::', 48, 'benchmarking'],
  // IETF protocol assignments: Teredo, ORCHID, AS112 and friends, never a web server.
  ['2001::', 23, 'reserved'],
  ['64:ff9b:1::', 48, 'local NAT64'],
];
const IPV6_RANGES = IPV6_BLOCKED.map(([net, bits, reason]) => ({ net: parseIPv6(net)!, bits, reason }));

function ipv6Reason(groups: readonly number[]): string | undefined {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const embedded = [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff];
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;

  if (upperZero && g5 === 0 && g6 === 0 && g7 === 0) return 'unspecified';
  if (upperZero && g5 === 0 && g6 === 0 && g7 === 1) return 'loopback';
  // ::ffff:a.b.c.d and 64:ff9b::a.b.c.d reach the embedded IPv4 address, so judge that one.
  if (upperZero && g5 === 0xffff) return ipv4Reason(embedded);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return ipv4Reason(embedded);
  // ::a.b.c.d, deprecated since 2006; nothing legitimate uses it, and stacks differ on what it reaches.
  if (upperZero && g5 === 0) return 'IPv4-compatible';
  // 6to4 (2002:AABB:CCDD::/48) tunnels to the IPv4 address in the second and third groups.
  if (g0 === 0x2002) return ipv4Reason([g1 >> 8, g1 & 0xff, g2 >> 8, g2 & 0xff]);

  const named = IPV6_RANGES.find(({ net, bits }) => inPrefix(groups, net, bits));
  if (named) return named.reason;
  return (g0 & 0xe000) === 0x2000 ? undefined : 'reserved';
}

function inPrefix(groups: readonly number[], net: readonly number[], bits: number): boolean {
  for (let i = 0; i < 8 && bits > 0; i += 1, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if (((groups[i] ?? 0) & mask) !== ((net[i] ?? 0) & mask)) return false;
  }
  return true;
}

function toUint32(bytes: readonly number[]): number {
  return bytes.reduce((acc, byte) => acc * 256 + byte, 0);
}

/** Four bytes for a strict dotted quad (what node:net accepts: no leading zeros, no hex), else undefined. */
function parseIPv4(text: string): number[] | undefined {
  return isIPv4(text) ? text.split('.').map(Number) : undefined;
}

/** The eight 16-bit groups of an IPv6 address, `::` expanded and an embedded dotted quad split in two. */
function parseIPv6(text: string): number[] | undefined {
  const address = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (!isIPv6(address)) return undefined;
  const toGroups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = parseIPv4(group) ?? [];
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = '', tail] = address.split('::');
  const before = toGroups(head);
  if (tail === undefined) return before;
  const after = toGroups(tail);
  return [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
}
