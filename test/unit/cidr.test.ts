import { describe, expect, it } from 'vitest';
import {
  AddressGuard,
  CidrList,
  cidrContains,
  DnsOverrides,
  parseCidr,
  parseIp,
  specialRange,
  unmapIpv4,
} from '../../src/crawler/fetch/index.js';

const contains = (range: string, ip: string) => cidrContains(parseCidr(range)!, parseIp(ip)!);

describe('CIDR matcher', () => {
  it('parses IPv4 and IPv6 addresses, brackets and zone ids', () => {
    expect([...parseIp('10.1.2.3')!.bytes]).toEqual([10, 1, 2, 3]);
    expect(parseIp('[::1]')!.bytes[15]).toBe(1);
    expect(parseIp('fe80::1%eth0')!.family).toBe(6);
    expect([...parseIp('2001:db8::ff00:42:8329')!.bytes.subarray(0, 4)]).toEqual([0x20, 0x01, 0x0d, 0xb8]);
    expect([...parseIp('::ffff:192.168.1.1')!.bytes.subarray(10)]).toEqual([0xff, 0xff, 192, 168, 1, 1]);
    expect(parseIp('example.test')).toBeUndefined();
    expect(parseIp('256.1.1.1')).toBeUndefined();
  });

  it('matches IPv4 ranges at any prefix length', () => {
    expect(contains('10.0.0.0/8', '10.255.1.1')).toBe(true);
    expect(contains('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(contains('172.16.0.0/12', '172.31.255.255')).toBe(true);
    expect(contains('172.16.0.0/12', '172.32.0.0')).toBe(false);
    expect(contains('100.64.0.0/10', '100.127.0.1')).toBe(true);
    expect(contains('100.64.0.0/10', '100.128.0.1')).toBe(false);
    expect(contains('127.0.0.1/32', '127.0.0.1')).toBe(true);
    expect(contains('127.0.0.1/32', '127.0.0.2')).toBe(false);
    expect(contains('127.0.0.1', '127.0.0.1')).toBe(true);
    expect(contains('0.0.0.0/0', '8.8.8.8')).toBe(true);
  });

  it('matches IPv6 ranges and never mixes families', () => {
    expect(contains('fc00::/7', 'fd12:3456::1')).toBe(true);
    expect(contains('fc00::/7', 'fe00::1')).toBe(false);
    expect(contains('fe80::/10', 'febf::1')).toBe(true);
    expect(contains('fe80::/10', 'fec0::1')).toBe(false);
    expect(contains('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(contains('::/0', '10.0.0.1')).toBe(false);
    expect(contains('0.0.0.0/0', '::1')).toBe(false);
  });

  it('rejects malformed ranges', () => {
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('::/129')).toBeUndefined();
    expect(parseCidr('10.0.0.0/x')).toBeUndefined();
    expect(parseCidr('nope/8')).toBeUndefined();
    expect(() => new CidrList().add('10.0.0.0/40', 'x')).toThrow(/CIDR/);
  });

  it('sees the IPv4 address inside IPv4-mapped IPv6', () => {
    expect(unmapIpv4(parseIp('::ffff:10.0.0.1')!)!.bytes).toEqual(parseIp('10.0.0.1')!.bytes);
    expect(unmapIpv4(parseIp('::ffff:a00:1')!)!.bytes).toEqual(parseIp('10.0.0.1')!.bytes);
    expect(unmapIpv4(parseIp('::1')!)).toBeUndefined();
    const list = new CidrList<string>().add('127.0.0.0/8', 'loopback');
    expect(list.match(parseIp('::ffff:127.0.0.1')!)).toBeUndefined();
    expect(list.matchUnmapped(parseIp('::ffff:127.0.0.1')!)).toBe('loopback');
  });
});

describe('special-purpose ranges', () => {
  const range = (ip: string) => specialRange(parseIp(ip)!);

  it('classifies IPv4 addresses', () => {
    expect(range('127.0.0.1')).toBe('loopback');
    expect(range('10.0.0.1')).toBe('private');
    expect(range('172.20.1.1')).toBe('private');
    expect(range('192.168.0.10')).toBe('private');
    expect(range('169.254.169.254')).toBe('link-local');
    expect(range('100.64.0.1')).toBe('shared');
    expect(range('0.0.0.0')).toBe('unspecified');
    expect(range('255.255.255.255')).toBe('broadcast');
    expect(range('224.0.0.251')).toBe('multicast');
    expect(range('192.0.2.1')).toBe('documentation');
    expect(range('198.18.0.1')).toBe('reserved');
    expect(range('240.0.0.1')).toBe('reserved');
    expect(range('8.8.8.8')).toBeUndefined();
    expect(range('93.184.216.34')).toBeUndefined();
    expect(range('172.32.0.1')).toBeUndefined();
  });

  it('classifies IPv6 addresses, looking inside mapped, NAT64 and 6to4 forms', () => {
    expect(range('::1')).toBe('loopback');
    expect(range('::')).toBe('unspecified');
    expect(range('fd00::1')).toBe('private');
    expect(range('fe80::1')).toBe('link-local');
    expect(range('ff02::1')).toBe('multicast');
    expect(range('2001:db8::1')).toBe('documentation');
    expect(range('::ffff:169.254.169.254')).toBe('link-local');
    expect(range('::ffff:10.0.0.1')).toBe('private');
    expect(range('64:ff9b::a00:1')).toBe('private');
    expect(range('2002:7f00:1::1')).toBe('loopback');
    expect(range('::ffff:8.8.8.8')).toBeUndefined();
    expect(range('2606:4700:4700::1111')).toBeUndefined();
    expect(range('4000::1')).toBe('reserved');
  });

  it('opens exactly the ranges in ALLOWED_ADDRESSES', () => {
    const closed = new AddressGuard();
    expect(closed.check('127.0.0.1')?.description).toBe('the loopback range');
    expect(closed.check('10.0.0.1')?.description).toBe('a private range');
    expect(closed.check('8.8.8.8')).toBeUndefined();
    const open = new AddressGuard(['127.0.0.1/32', '10.1.0.0/16', 'fd00::/8']);
    expect(open.check('127.0.0.1')).toBeUndefined();
    expect(open.check('::ffff:127.0.0.1')).toBeUndefined();
    expect(open.check('127.0.0.2')?.range).toBe('loopback');
    expect(open.check('10.1.200.3')).toBeUndefined();
    expect(open.check('10.2.0.1')?.range).toBe('private');
    expect(open.check('fd00::5')).toBeUndefined();
    expect(open.check('169.254.169.254')?.range).toBe('link-local');
  });
});

describe('DNS_OVERRIDES', () => {
  it('matches exact names, *.suffix globs (longest first) and *', () => {
    const overrides = new DnsOverrides({
      'exact.test': '10.0.0.1',
      '*.test': '127.0.0.1',
      '*.deep.test': '127.0.0.2',
    });
    expect(overrides.lookup('exact.test')).toBe('10.0.0.1');
    expect(overrides.lookup('EXACT.test.')).toBe('10.0.0.1');
    expect(overrides.lookup('d1.test')).toBe('127.0.0.1');
    expect(overrides.lookup('www.d1.test')).toBe('127.0.0.1');
    expect(overrides.lookup('a.deep.test')).toBe('127.0.0.2');
    expect(overrides.lookup('test')).toBeUndefined();
    expect(overrides.lookup('example.com')).toBeUndefined();
    expect(new DnsOverrides({ '*': '127.0.0.9' }).lookup('anything.example')).toBe('127.0.0.9');
  });
});
