import { cidrContains, CidrList, parseCidr, parseIp, unmapIpv4, type ParsedIp } from './cidr.js';

/** The special-purpose range that made an address refused. */
export type BlockedRange =
  | 'unspecified'
  | 'broadcast'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'multicast'
  | 'documentation'
  | 'reserved';

const DESCRIPTIONS: Record<BlockedRange, string> = {
  unspecified: 'the unspecified range',
  broadcast: 'the broadcast range',
  loopback: 'the loopback range',
  private: 'a private range',
  shared: 'the shared (carrier-grade NAT) range',
  'link-local': 'the link-local range',
  multicast: 'a multicast range',
  documentation: 'a documentation range',
  reserved: 'a reserved range',
};

const V4_SPECIAL: [string, BlockedRange][] = [
  ['0.0.0.0/8', 'unspecified'],
  ['255.255.255.255/32', 'broadcast'],
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'shared'],
  // Includes 169.254.169.254, the cloud metadata endpoint.
  ['169.254.0.0/16', 'link-local'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'],
  ['198.18.0.0/15', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
];

const V6_SPECIAL: [string, BlockedRange][] = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'reserved'],
  ['100::/64', 'reserved'],
  ['2001::/23', 'reserved'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'reserved'],
  ['ff00::/8', 'multicast'],
];

const SPECIAL = new CidrList<BlockedRange>();
for (const [range, label] of [...V4_SPECIAL, ...V6_SPECIAL]) SPECIAL.add(range, label);

const GLOBAL_UNICAST_V6 = parseCidr('2000::/3')!;
const NAT64 = parseCidr('64:ff9b::/96')!;
const SIX_TO_FOUR = parseCidr('2002::/16')!;

/** The special range an address belongs to, looking through IPv6 forms that carry an IPv4 address. */
export function specialRange(ip: ParsedIp): BlockedRange | undefined {
  const mapped = unmapIpv4(ip);
  if (mapped) return specialRange(mapped);
  if (ip.family === 6) {
    // NAT64 and 6to4 addresses reach the IPv4 address they embed.
    if (cidrContains(NAT64, ip)) return specialRange({ family: 4, bytes: ip.bytes.slice(12, 16) });
    if (cidrContains(SIX_TO_FOUR, ip)) return specialRange({ family: 4, bytes: ip.bytes.slice(2, 6) });
  }
  const label = SPECIAL.match(ip);
  if (label !== undefined) return label;
  if (ip.family === 6 && !cidrContains(GLOBAL_UNICAST_V6, ip)) return 'reserved';
  return undefined;
}

export interface AddressVerdict {
  range: BlockedRange;
  /** Reads after "is in": "a private range". */
  description: string;
}

/**
 * Decides whether the crawler may connect to an address: public addresses always, special ranges only when an
 * entry of ALLOWED_ADDRESSES contains them.
 */
export class AddressGuard {
  private readonly allowed = new CidrList<true>();

  constructor(allowedAddresses: readonly string[] = []) {
    for (const entry of allowedAddresses) this.allowed.add(entry, true);
  }

  /** Undefined when the address may be used; otherwise why not. */
  check(address: string): AddressVerdict | undefined {
    const ip = parseIp(address);
    if (!ip) return { range: 'reserved', description: 'no IP range (not an IP address)' };
    if (this.allowed.size > 0 && this.allowed.matchUnmapped(ip)) return undefined;
    const range = specialRange(ip);
    if (range === undefined) return undefined;
    return { range, description: DESCRIPTIONS[range] };
  }
}
