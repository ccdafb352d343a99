/** Redis key names of the crawl frontier, as the original names them (plus leases and accounting). */
export const frontierKeys = {
  queue: (spiderid: string, domain: string) => `${spiderid}:${domain}:queue`,
  queuePattern: (spiderid: string) => `${spiderid}:*:queue`,
  leased: (spiderid: string) => `${spiderid}:leased`,
  leases: (spiderid: string) => `${spiderid}:leases`,
  blacklist: (spiderid: string) => `${spiderid}:blacklist`,
  /** SHA1 of a queue member -> its leases that ended with no outcome (crash, unexpected error). */
  attempts: (spiderid: string) => `${spiderid}:attempts`,
  dupefilter: (spiderid: string, crawlid: string) => `${spiderid}:dupefilter:${crawlid}`,
  domainPages: (spiderid: string, domain: string, crawlid: string) =>
    `${spiderid}:domain_max_page_filter:${domain}:${crawlid}`,
  globalPages: (spiderid: string, domain: string, crawlid: string) =>
    `${spiderid}:global_page_count_filter:${domain}:${crawlid}`,
  crawlStats: (spiderid: string, appid: string, crawlid: string) =>
    `crawlstats:${spiderid}:${appid}:${crawlid}`,
  /**
   * Pub/sub channel (not a key) on which new or refilled domain queues of a spider are announced, one or
   * more queue keys per message separated by newlines: the Kafka Monitor publishes the queues of each
   * batch, the enqueue script a queue it created. Crawlers follow it and still SCAN every
   * SCHEDULER_QUEUE_REFRESH seconds for queues written by writers that do not announce (the Python
   * Kafka Monitor).
   */
  queueAnnounce: (spiderid: string) => `${spiderid}:queue_announce`,
};

/** The domain field of a queue key `<spiderid>:<domain>:queue`. */
export function domainOfQueue(queueKey: string): string {
  return queueKey.split(':')[1] ?? '';
}

/**
 * The throttle key of a domain in the configured style (seed 3.3.2): `[<spiderid>:][<public ip>:]<domain>`.
 */
export function throttleName(
  domain: string,
  options: { spiderid: string; typeEnabled: boolean; ipEnabled: boolean; publicIp: string },
): string {
  return `${options.typeEnabled ? `${options.spiderid}:` : ''}${options.ipEnabled ? `${options.publicIp}:` : ''}${domain}`;
}
