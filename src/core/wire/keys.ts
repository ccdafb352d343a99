/**
 * Every Redis key and channel name the components share, spelled as the Python original spells them
 * (plus this project's leases, accounting and announce channel). They are the contract between the Kafka
 * Monitor, the crawlers, the Redis Monitor and the REST service, and with the original's processes on
 * the same Redis: build a key here, never by hand at the call site.
 */
export const redisKeys = {
  queue: (spiderid: string, domain: string) => `${spiderid}:${domain}:queue`,
  queuePattern: (spiderid: string) => `${spiderid}:*:queue`,
  leased: (spiderid: string) => `${spiderid}:leased`,
  leases: (spiderid: string) => `${spiderid}:leases`,
  blacklist: (spiderid: string) => `${spiderid}:blacklist`,
  /** Domain -> end of its Retry-After hold (epoch seconds), for `info`. New. */
  holds: (spiderid: string) => `${spiderid}:holds`,
  /** Domain -> the robots.txt Crawl-delay the crawlers apply (seconds), for `info`. New. */
  crawlDelays: (spiderid: string) => `${spiderid}:crawl_delays`,
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
  /** Expiry time (epoch seconds) of a crawl, written by the Kafka Monitor for the Redis Monitor. */
  crawlTimeout: (spiderid: string, appid: string, crawlid: string) =>
    `timeout:${spiderid}:${appid}:${crawlid}`,
  /** A pending ZooKeeper domain config change (`domain-update` / `domain-remove` / `blacklist-*`). */
  zookeeperRequest: (action: string, domain: string, appid: string) => `zk:${action}:${domain}:${appid}`,
  /** A pending stats request: the value is the request's uuid. */
  statsRequest: (stats: string, appid: string) => `statsrequest:${stats}:${appid}`,
  /** A REST request's reply, stored when it arrived after the request stopped waiting. */
  restPoll: (uuid: string) => `rest:poll:${uuid}`,
  /** The Redis Monitor's lock on one request key, and its failure counter. */
  lock: (key: string) => `lock:${key}`,
  lockFailures: (key: string) => `lock:${key}:failures`,
  /** A Kafka Monitor / Redis Monitor / REST process's own heartbeat (the original's `self` stats). */
  selfStats: (component: 'kafka-monitor' | 'redis-monitor' | 'rest', host: string, id: string) =>
    `stats:${component}:self:${host}:${id}`,
  /** A crawler process's heartbeat, per spider. */
  crawlerSelf: (host: string, spiderid: string, id: string) => `stats:crawler:${host}:${spiderid}:${id}`,
  /** A crawler's response-code hits, per spider and status. */
  crawlerStatus: (host: string, spiderid: string, status: number | string) =>
    `stats:crawler:${host}:${spiderid}:${status}`,
  /** A crawl's failures by reason (hash) and the newest example URLs of one reason (sorted set). */
  crawlFailures: (spiderid: string, appid: string, crawlid: string) =>
    `crawlfailures:${spiderid}:${appid}:${crawlid}`,
  crawlFailureExamples: (spiderid: string, appid: string, crawlid: string, reason: string) =>
    `crawlfailures:${spiderid}:${appid}:${crawlid}:${reason}`,
  /** Set once a crawl's "finished" announcement was sent, so only one crawler sends it. */
  crawlFinished: (spiderid: string, appid: string, crawlid: string) =>
    `crawlfinished:${spiderid}:${appid}:${crawlid}`,
  /** The list a lock's owner pushes to on release, so a waiter wakes at once. */
  lockSignal: (key: string) => `lock-signal:${key}`,
  /** The crawlers' copy of the ZooKeeper domain config for the dashboard, and when it was written. */
  domainConfigCopy: 'sc:domain-config',
  domainConfigCopyAt: 'sc:domain-config:at',
  /** Throttle window of a domain (a sorted set of hits), as the original names it. */
  throttleWindow: (throttle: string) => `${throttle}:throttle_window`,
  /** Moderation time of a domain's throttle, as the original names it. */
  throttleTime: (throttle: string) => `${throttle}:throttle_time`,
  /** Until when the site asked every crawler to wait (429/503 with Retry-After): epoch seconds. New. */
  throttleHold: (throttle: string) => `${throttle}:hold`,
  /** The next free fetch slot of a domain under its robots.txt Crawl-delay: epoch seconds. New. */
  crawlDelayNext: (throttle: string) => `${throttle}:crawl_delay_next`,
  /** Glob of every stats key of one component (`stats:kafka-monitor:*`). */
  statsPattern: (component: string) => `stats:${component}:*`,
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
