import { isIP } from 'node:net';

/** An IP address as bytes: 4 for IPv4, 16 for IPv6. */
export interface ParsedIp {
  family: 4 | 6;
  bytes: Uint8Array;
}

/** A CIDR range: the network bytes and the prefix length in bits. */
export interface Cidr {
  family: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
}

/** Parses an IPv4 or IPv6 address (brackets and an IPv6 zone id are ignored); undefined if it is not one. */
export function parseIp(input: string): ParsedIp | undefined {
  let text = input;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const family = isIP(text);
  if (family === 4) return { family: 4, bytes: parseV4(text) };
  if (family === 6) return { family: 6, bytes: parseV6(text) };
  return undefined;
}

function parseV4(text: string): Uint8Array {
  const bytes = new Uint8Array(4);
  const parts = text.split('.');
  for (let i = 0; i < 4; i++) bytes[i] = Number(parts[i]);
  return bytes;
}

// Called only on strings node:net accepted, so the syntax is already known to be valid.
function parseV6(text: string): Uint8Array {
  const bytes = new Uint8Array(16);
  let head = text;
  let tailV4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) > lastColon) {
    tailV4 = parseV4(text.slice(lastColon + 1));
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const [left = '', right] = head.split('::');
  const leftGroups = left === '' ? [] : left.split(':');
  const rightGroups = right === undefined || right === '' ? [] : right.split(':');
  const groups = [...leftGroups, ...new Array<string>(8 - leftGroups.length - rightGroups.length).fill('0')];
  groups.push(...rightGroups);
  for (let i = 0; i < 8; i++) {
    const value = parseInt(groups[i] ?? '0', 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  }
  if (tailV4) bytes.set(tailV4, 12);
  return bytes;
}

/** Parses `addr/prefix` (or a bare address, meaning a single host); undefined when malformed. */
export function parseCidr(input: string): Cidr | undefined {
  const slash = input.indexOf('/');
  const ip = parseIp(slash < 0 ? input : input.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const text = input.slice(slash + 1);
    if (!/^\d{1,3}$/.test(text)) return undefined;
    prefix = Number(text);
    if (prefix > max) return undefined;
  }
  return { family: ip.family, bytes: ip.bytes, prefix };
}

/** True when `ip` lies inside `range` (families must match; see `unmapIpv4` for mapped addresses). */
export function cidrContains(range: Cidr, ip: ParsedIp): boolean {
  if (range.family !== ip.family) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const a = range.bytes[i] ?? 0;
    const b = ip.bytes[i] ?? 0;
    if (bits >= 8) {
      if (a !== b) return false;
    } else {
      const mask = (0xff << (8 - bits)) & 0xff;
      if ((a & mask) !== (b & mask)) return false;
    }
  }
  return true;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else undefined. */
export function unmapIpv4(ip: ParsedIp): ParsedIp | undefined {
  if (ip.family !== 6) return undefined;
  const b = ip.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return undefined;
  if (b[10] !== 0xff || b[11] !== 0xff) return undefined;
  return { family: 4, bytes: b.slice(12, 16) };
}

/** A list of CIDR ranges, each with a label; `match` returns the first range's label containing an address. */
export class CidrList<Label = string> {
  private readonly ranges: { cidr: Cidr; label: Label }[] = [];

  /** Throws on a malformed range: lists are built from validated settings or constants. */
  add(range: string, label: Label): this {
    const cidr = parseCidr(range);
    if (!cidr) throw new Error(`not an IP address or CIDR range: ${range}`);
    this.ranges.push({ cidr, label });
    return this;
  }

  get size(): number {
    return this.ranges.length;
  }

  match(ip: ParsedIp): Label | undefined {
    for (const { cidr, label } of this.ranges) if (cidrContains(cidr, ip)) return label;
    return undefined;
  }

  /** Matches the address itself, or the IPv4 address inside an IPv4-mapped IPv6 address. */
  matchUnmapped(ip: ParsedIp): Label | undefined {
    const direct = this.match(ip);
    if (direct !== undefined) return direct;
    const v4 = unmapIpv4(ip);
    return v4 ? this.match(v4) : undefined;
  }
}
