import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { LRUCache } from 'lru-cache';
import type { AddressGuard } from './address-guard.js';
import type { DnsOverrides } from './dns-overrides.js';

export interface ResolvedHost {
  address: string;
  family: 4 | 6;
}

/** Why a host cannot be used: its name does not resolve, or every address it resolves to is refused. */
export class ResolveFailure extends Error {
  constructor(
    readonly kind: 'dns' | 'blocked',
    readonly host: string,
    message: string,
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'ResolveFailure';
  }
}

export type DnsLookup = (host: string) => Promise<LookupAddress[]>;

export interface ResolverOptions {
  guard: AddressGuard;
  overrides: DnsOverrides;
  /** How long a resolved (and checked) address is reused; 0 turns the cache off. */
  ttlMs?: number;
  /** How long a failed lookup is remembered. */
  negativeTtlMs?: number;
  /** Replaces the system resolver (tests). */
  dnsLookup?: DnsLookup;
}

function cacheKey(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname.toLowerCase();
}

const systemLookup: DnsLookup = (host) => dns.lookup(host, { all: true });

/**
 * Turns a host name into the one address the crawler will connect to, refusing addresses the guard rejects.
 * The same instance backs the pre-flight check and undici's `connect.lookup`, so a connection can only ever
 * be made to an address that passed the guard: a DNS answer that changes between the check and the connect
 * (rebinding) is checked again, never trusted.
 */
export class GuardedResolver {
  private readonly guard: AddressGuard;
  private readonly overrides: DnsOverrides;
  private readonly cache: LRUCache<string, ResolvedHost | ResolveFailure> | undefined;
  private readonly negativeTtlMs: number;
  private readonly dnsLookup: DnsLookup;
  private readonly inflight = new Map<string, Promise<ResolvedHost>>();

  constructor(options: ResolverOptions) {
    this.guard = options.guard;
    this.overrides = options.overrides;
    const ttl = options.ttlMs ?? 60_000;
    this.cache = ttl > 0 ? new LRUCache({ max: 50_000, ttl }) : undefined;
    this.negativeTtlMs = Math.min(options.negativeTtlMs ?? 5_000, ttl || Infinity);
    this.dnsLookup = options.dnsLookup ?? systemLookup;
  }

  /** A cached answer (or refusal) for `hostname`, without waiting; undefined when it must be resolved. */
  cached(hostname: string): ResolvedHost | ResolveFailure | undefined {
    return this.cache?.get(cacheKey(hostname));
  }

  /** Resolves and checks `hostname` (a URL's hostname; IPv6 literals may keep their brackets). */
  resolve(hostname: string): Promise<ResolvedHost> {
    const host = cacheKey(hostname);
    const cached = this.cache?.get(host);
    if (cached !== undefined) {
      return cached instanceof ResolveFailure ? Promise.reject(cached) : Promise.resolve(cached);
    }
    let pending = this.inflight.get(host);
    if (!pending) {
      pending = this.resolveUncached(host).then(
        (result) => {
          this.inflight.delete(host);
          this.cache?.set(host, result);
          return result;
        },
        (err: unknown) => {
          this.inflight.delete(host);
          if (err instanceof ResolveFailure) this.cache?.set(host, err, { ttl: this.negativeTtlMs });
          throw err;
        },
      );
      this.inflight.set(host, pending);
    }
    return pending;
  }

  /** A `lookup` for net/tls connect options (undici's `connect.lookup`). */
  readonly lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    this.resolve(hostname).then(
      (r) => (options.all ? callback(null, [r]) : callback(null, r.address, r.family)),
      (err: Error) => callback(err, ''),
    );
  };

  private async resolveUncached(host: string): Promise<ResolvedHost> {
    const literal = isIP(host);
    if (literal !== 0) return this.checked(host, [{ address: host, family: literal }], true);
    const override = this.overrides.lookup(host);
    if (override !== undefined) return this.checked(host, [{ address: override, family: isIP(override) }]);
    let addresses: LookupAddress[];
    try {
      addresses = await this.dnsLookup(host);
    } catch (err) {
      const code = typeof err === 'object' && err && 'code' in err ? String(err.code) : 'ENOTFOUND';
      throw new ResolveFailure('dns', host, `cannot resolve ${host} (${code})`, code);
    }
    if (addresses.length === 0)
      throw new ResolveFailure('dns', host, `cannot resolve ${host} (no addresses)`);
    return this.checked(host, addresses);
  }

  /** The first permitted address; when none is, the refusal for the first one. */
  private checked(host: string, addresses: LookupAddress[], literal = false): ResolvedHost {
    let refusal: string | undefined;
    for (const { address, family } of addresses) {
      const verdict = this.guard.check(address);
      if (!verdict) return { address, family: family === 6 ? 6 : 4 };
      refusal ??= literal
        ? `address ${address} is in ${verdict.description}`
        : `${host} resolves to ${address}, which is in ${verdict.description}`;
    }
    throw new ResolveFailure('blocked', host, refusal ?? `no usable address for ${host}`);
  }
}
