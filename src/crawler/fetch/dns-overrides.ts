/**
 * DNS_OVERRIDES: host name → IP address, consulted before DNS. A key is an exact host (`d1.test`), a glob
 * `*.suffix` matching any name below the suffix at any depth (`*.test` matches `d1.test` and `www.d1.test`,
 * not `test` itself), or `*` alone matching every name. The exact key wins, then the longest suffix.
 */
export class DnsOverrides {
  private readonly exact = new Map<string, string>();
  private readonly suffixes: { suffix: string; address: string }[] = [];
  private readonly wildcard: string | undefined;

  constructor(map: Readonly<Record<string, string>> = {}) {
    let wildcard: string | undefined;
    for (const [key, address] of Object.entries(map)) {
      const host = normalizeHost(key);
      if (host === '*') wildcard = address;
      else if (host.startsWith('*.')) this.suffixes.push({ suffix: host.slice(1), address });
      else this.exact.set(host, address);
    }
    this.suffixes.sort((a, b) => b.suffix.length - a.suffix.length);
    this.wildcard = wildcard;
  }

  get empty(): boolean {
    return this.exact.size === 0 && this.suffixes.length === 0 && this.wildcard === undefined;
  }

  lookup(hostname: string): string | undefined {
    if (this.empty) return undefined;
    const host = normalizeHost(hostname);
    const exact = this.exact.get(host);
    if (exact !== undefined) return exact;
    for (const { suffix, address } of this.suffixes) if (host.endsWith(suffix)) return address;
    return this.wildcard;
  }
}

function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
