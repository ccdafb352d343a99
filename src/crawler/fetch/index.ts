export { Fetcher, parseHttpUrl, type FetcherOptions } from './fetcher.js';
export type { FetcherSettings, FetchRequest, FetchResponse } from './types.js';
export { FetchError, isFetchError, type FetchErrorReason } from './errors.js';
export { AddressGuard, specialRange, type AddressVerdict, type BlockedRange } from './address-guard.js';
export { CidrList, cidrContains, parseCidr, parseIp, unmapIpv4, type Cidr, type ParsedIp } from './cidr.js';
export { DnsOverrides } from './dns-overrides.js';
export { charsetFromContentType, decodeText, detectEncoding, normalizeEncoding } from './encoding.js';
export { cookieHeader, parseCookieString } from './headers.js';
export { productToken } from './robots.js';
