import { parse as parseYaml } from 'yaml';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';

export interface DomainRate {
  window: number;
  /** Effective hits: int(hits * clamp(scale, 0, 1)). */
  hits: number;
}

/**
 * The cluster-wide domain configuration the crawlers watch in ZooKeeper (facts 9):
 * `domains: {<domain>: {window, hits, scale?}}` and `blacklist: [...]`. Entries without both window and
 * hits are ignored, as in the original.
 */
export class DomainConfig {
  private domains = new Map<string, DomainRate>();
  private blacklist = new Set<string>();
  /** Bumped on every applied change, so callers can tell a new config from an old one. */
  version = 0;

  constructor(private readonly logger: Logger) {}

  rate(domain: string): DomainRate | undefined {
    return this.domains.get(domain);
  }

  isBlacklisted(domain: string): boolean {
    return this.blacklist.has(domain);
  }

  get configuredDomains(): string[] {
    return [...this.domains.keys()];
  }

  get blacklistedDomains(): string[] {
    return [...this.blacklist];
  }

  /**
   * Applies the node's new contents. Empty contents revert every domain to the defaults and clear the
   * blacklist (the original kept a stale blacklist); contents that are not a valid config are logged and
   * the last good config is kept. Returns whether anything was applied.
   */
  apply(contents: string): boolean {
    if (contents.trim() === '') {
      this.logger.info('Zookeeper config wiped, reverting to the default domain settings');
      this.domains = new Map();
      this.blacklist = new Set();
      this.version++;
      return true;
    }
    let config: unknown;
    try {
      config = parseYaml(contents);
    } catch (err) {
      this.logger.error('Invalid Zookeeper config, keeping the last good one', { error: errorMessage(err) });
      return false;
    }
    if (!config || typeof config !== 'object' || Array.isArray(config)) {
      this.logger.error('Invalid Zookeeper config, keeping the last good one', { error: 'not a mapping' });
      return false;
    }
    const { domains, blacklist } = config as { domains?: unknown; blacklist?: unknown };
    const next = new Map<string, DomainRate>();
    if (domains && typeof domains === 'object' && !Array.isArray(domains)) {
      for (const [name, entry] of Object.entries(domains as Record<string, unknown>)) {
        const e = (entry ?? {}) as { window?: unknown; hits?: unknown; scale?: unknown };
        const window = Number(e.window);
        const hits = Number(e.hits);
        if (
          !Number.isFinite(window) ||
          !Number.isFinite(hits) ||
          e.window === undefined ||
          e.hits === undefined
        )
          continue;
        const scale = e.scale === undefined ? 1 : Math.min(1, Math.max(0, Number(e.scale) || 0));
        next.set(name, { window, hits: Math.trunc(hits * scale) });
      }
    }
    this.domains = next;
    this.blacklist = new Set(Array.isArray(blacklist) ? blacklist.map(String) : []);
    this.version++;
    this.logger.info('Zookeeper config changed', {
      domains: Object.fromEntries(next),
      blacklist: [...this.blacklist],
    });
    return true;
  }
}
