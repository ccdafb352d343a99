import { throttleName } from '../../core/wire/keys.js';
import type { DomainThrottle, FrontierPolicy } from '../frontier/types.js';
import type { DomainConfig } from './domain-config.js';
import type { Politeness } from './politeness.js';

/** The crawler settings the policy reads. */
export interface CrawlPolicySettings {
  QUEUE_HITS: number;
  QUEUE_WINDOW: number;
  QUEUE_WINDOW_MARGIN: number;
  QUEUE_MODERATED: boolean;
  QUEUE_ELASTIC: boolean;
  SCHEDULER_TYPE_ENABLED: boolean;
  SCHEDULER_IP_ENABLED: boolean;
  SCHEDULER_BACKLOG_BLACKLIST: boolean;
}

/**
 * How each domain may be crawled, as the frontier asks it: the ZooKeeper domain config (rate, blacklist),
 * the default QUEUE_HITS per QUEUE_WINDOW, the robots.txt Crawl-delay, and the throttle key style
 * (spider type, public IP).
 */
export class CrawlPolicy implements FrontierPolicy {
  constructor(
    private readonly options: {
      settings: CrawlPolicySettings;
      spiderName: string;
      domainConfig: DomainConfig;
      politeness: Politeness;
      /** This machine's public IP, for SCHEDULER_IP_ENABLED throttle keys. */
      publicIp: () => string;
    },
  ) {}

  /** The throttle of a domain: ZooKeeper's rate when configured, else QUEUE_HITS per QUEUE_WINDOW. */
  throttleFor(domain: string): DomainThrottle | null {
    const { settings, domainConfig } = this.options;
    if (domainConfig.isBlacklisted(domain)) return null;
    const rate = domainConfig.rate(domain);
    let window = rate?.window ?? settings.QUEUE_WINDOW;
    let limit = rate?.hits ?? settings.QUEUE_HITS;
    // robots.txt's Crawl-delay: at most one request per delay, unless the configured rate is slower.
    const delay = this.options.politeness.delayOf(domain);
    if (delay !== undefined && limit > 0 && window / limit < delay) {
      window = delay;
      limit = 1;
    }
    // The margin absorbs the jitter between the throttle decision and the request reaching the site, so the
    // limit also holds as the site sees it.
    return {
      window: window + settings.QUEUE_WINDOW_MARGIN,
      limit,
      moderate: settings.QUEUE_MODERATED,
      elastic: settings.QUEUE_ELASTIC,
      name: throttleName(domain, {
        spiderid: this.options.spiderName,
        typeEnabled: settings.SCHEDULER_TYPE_ENABLED,
        ipEnabled: settings.SCHEDULER_IP_ENABLED,
        publicIp: this.options.publicIp(),
      }),
    };
  }

  /** With SCHEDULER_BACKLOG_BLACKLIST off, follow-ups of blacklisted domains are dropped, not queued. */
  refusesDomain(domain: string): boolean {
    return (
      !this.options.settings.SCHEDULER_BACKLOG_BLACKLIST && this.options.domainConfig.isBlacklisted(domain)
    );
  }
}
