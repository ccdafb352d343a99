import {
  type ComponentSpec,
  DEFAULT_STATS_TIMES,
  field,
  KAFKA_PRODUCER_DEFAULTS,
  kafkaProducerFields,
  logDefaults,
  logFields,
  logSettingNames,
  metricsDefaults,
  metricsFields,
  MiB,
  prefixed,
  REDIS_DEFAULTS,
  redisFields,
  type SettingsOf,
  ZOOKEEPER_DEFAULTS,
  zookeeperFields,
} from '../core/settings/index.js';

export const crawlerFields = {
  ...redisFields,

  ...kafkaProducerFields,
  KAFKA_TOPIC_PREFIX: field.string(),
  KAFKA_APPID_TOPICS: field.bool(),
  KAFKA_BASE_64_ENCODE: field.bool(),
  KAFKA_PRODUCER_MAX_REQUEST_SIZE: field.int({ min: 1 }),

  ...zookeeperFields,

  PUBLIC_IP_URL: field.url(),
  IP_ADDR_REGEX: field.regex(),

  SCHEDULER_PERSIST: field.bool(),
  SCHEDULER_QUEUE_REFRESH: field.float({ positive: true }),
  SCHEDULER_QUEUE_TIMEOUT: field.int({ min: 1 }),
  SCHEDULER_IP_REFRESH: field.float({ positive: true }),
  SCHEDULER_BACKLOG_BLACKLIST: field.bool(),
  SCHEDULER_TYPE_ENABLED: field.bool(),
  SCHEDULER_IP_ENABLED: field.bool(),
  // The original's spelling, kept so existing settings files keep working.
  SCHEUDLER_ITEM_RETRIES: field.int({ min: 0 }),

  QUEUE_HITS: field.int({ min: 1 }),
  QUEUE_WINDOW: field.float({ positive: true }),
  QUEUE_MODERATED: field.bool(),
  DUPEFILTER_TIMEOUT: field.int({ min: 1 }),
  GLOBAL_PAGE_PER_DOMAIN_LIMIT: field.nullableInt({ min: 1 }),
  GLOBAL_PAGE_PER_DOMAIN_LIMIT_TIMEOUT: field.int({ min: 1 }),
  DOMAIN_MAX_PAGE_TIMEOUT: field.int({ min: 1 }),

  ...prefixed('SC_', logFields),

  STATS_STATUS_CODES: field.bool(),
  STATS_RESPONSE_CODES: field.intList({ min: 100, max: 999 }),
  STATS_CYCLE: field.int({ min: 1 }),
  STATS_TIMES: field.stringList(),

  // Scrapy settings the crawler honours (Scrapy 1.5 defaults unless the original project set them).
  BOT_NAME: field.string(),
  CONCURRENT_REQUESTS: field.int({ min: 1 }),
  CONCURRENT_REQUESTS_PER_DOMAIN: field.int({ min: 1 }),
  CONCURRENT_ITEMS: field.int({ min: 1 }),
  CONCURRENT_REQUESTS_PER_IP: field.int({ min: 0 }),
  DOWNLOAD_DELAY: field.float(),
  DOWNLOAD_TIMEOUT: field.float({ positive: true }),
  DOWNLOAD_MAXSIZE: field.int({ min: 0 }),
  DOWNLOAD_WARNSIZE: field.int({ min: 0 }),
  RETRY_TIMES: field.int({ min: 0 }),
  RETRY_HTTP_CODES: field.intList({ min: 100, max: 999 }),
  USER_AGENT: field.string(),
  DEFAULT_REQUEST_HEADERS: field.stringMap(),
  ROBOTSTXT_OBEY: field.bool(),
  COOKIES_ENABLED: field.bool(),
  REDIRECT_ENABLED: field.bool(),
  REDIRECT_MAX_TIMES: field.int({ min: 0 }),
  HTTPERROR_ALLOW_ALL: field.bool(),
  DNSCACHE_ENABLED: field.bool(),
  ITEM_PIPELINES: field.rankMap(),
  SPIDER_MIDDLEWARES: field.rankMap(),
  DOWNLOADER_MIDDLEWARES: field.rankMap(),

  // Added by this project (no equivalent in the original).
  LEASE_TIMEOUT: field.int({ min: 1 }),
  LEASE_MAX_ATTEMPTS: field.int({ min: 1 }),
  QUEUE_WINDOW_MARGIN: field.float({ min: 0 }),
  QUEUE_ELASTIC: field.bool(),
  ALLOWED_ADDRESSES: field.addressList(),
  DOWNLOAD_MAXSIZE_TOTAL: field.int({ min: 0 }),
  KEEPALIVE_MAX_ORIGINS: field.int({ min: 1 }),
  DNS_OVERRIDES: field.addressMap(),
  PROXY: field.string({ nonEmpty: false }),
  RETRY_AFTER_MAX: field.float(),
  CRAWL_DELAY_MAX: field.float(),
  SITEMAP_MAX_BYTES: field.int({ min: 1 }),
  ...metricsFields,
  LOGSTATS_INTERVAL: field.float({ min: 0 }),
};

export type CrawlerSettings = SettingsOf<typeof crawlerFields>;

export const CRAWLER_DEFAULTS: CrawlerSettings = {
  ...REDIS_DEFAULTS,

  ...KAFKA_PRODUCER_DEFAULTS,
  KAFKA_TOPIC_PREFIX: 'demo',
  KAFKA_APPID_TOPICS: false,
  KAFKA_BASE_64_ENCODE: false,
  KAFKA_PRODUCER_MAX_REQUEST_SIZE: 1 * MiB,

  ...ZOOKEEPER_DEFAULTS,

  PUBLIC_IP_URL: 'http://ip.42.pl/raw',
  IP_ADDR_REGEX: String.raw`(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})`,

  SCHEDULER_PERSIST: true,
  SCHEDULER_QUEUE_REFRESH: 10,
  SCHEDULER_QUEUE_TIMEOUT: 3600,
  SCHEDULER_IP_REFRESH: 60,
  SCHEDULER_BACKLOG_BLACKLIST: true,
  SCHEDULER_TYPE_ENABLED: true,
  SCHEDULER_IP_ENABLED: true,
  SCHEUDLER_ITEM_RETRIES: 3,

  QUEUE_HITS: 10,
  QUEUE_WINDOW: 60,
  QUEUE_MODERATED: true,
  DUPEFILTER_TIMEOUT: 600,
  GLOBAL_PAGE_PER_DOMAIN_LIMIT: null,
  GLOBAL_PAGE_PER_DOMAIN_LIMIT_TIMEOUT: 600,
  DOMAIN_MAX_PAGE_TIMEOUT: 600,

  ...prefixed('SC_', logDefaults('sc-crawler', 'sc_crawler.log')),

  STATS_STATUS_CODES: true,
  STATS_RESPONSE_CODES: [200, 404, 403, 504],
  STATS_CYCLE: 5,
  STATS_TIMES: [...DEFAULT_STATS_TIMES],

  BOT_NAME: 'crawling',
  CONCURRENT_REQUESTS: 16,
  CONCURRENT_REQUESTS_PER_DOMAIN: 8,
  CONCURRENT_ITEMS: 100,
  CONCURRENT_REQUESTS_PER_IP: 0,
  DOWNLOAD_DELAY: 0,
  DOWNLOAD_TIMEOUT: 10,
  // Deliberate change: Scrapy's 1 GiB (held in memory) let one decompression bomb take more than a
  // gigabyte; a page larger than 10 MiB could not be published on a default Kafka topic (1 MiB) anyway.
  DOWNLOAD_MAXSIZE: 10 * MiB,
  // Scrapy's is 32 MiB, above our limit; warn from the default Kafka message size instead.
  DOWNLOAD_WARNSIZE: 1 * MiB,
  RETRY_TIMES: 3,
  // Deliberate change: 429 added (as Scrapy 2 does), so a site's Too Many Requests is tried again after
  // its Retry-After hold rather than published as the page.
  RETRY_HTTP_CODES: [500, 502, 503, 504, 522, 524, 408, 429],
  USER_AGENT: 'Scrapy/1.5.0 (+https://scrapy.org)',
  DEFAULT_REQUEST_HEADERS: {
    Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'Accept-Language': 'en',
  },
  // Deliberate change: the original left Scrapy's default (false) in place.
  ROBOTSTXT_OBEY: true,
  COOKIES_ENABLED: true,
  REDIRECT_ENABLED: true,
  REDIRECT_MAX_TIMES: 20,
  HTTPERROR_ALLOW_ALL: true,
  DNSCACHE_ENABLED: true,
  ITEM_PIPELINES: { LoggingBeforePipeline: 1, KafkaPipeline: 100 },
  SPIDER_MIDDLEWARES: { MetaPassthroughMiddleware: 100, RedisStatsMiddleware: 101 },
  DOWNLOADER_MIDDLEWARES: {
    RedisRetryMiddleware: 510,
    LogRetryMiddleware: 520,
    CustomCookiesMiddleware: 700,
  },

  LEASE_TIMEOUT: 60,
  LEASE_MAX_ATTEMPTS: 3,
  QUEUE_WINDOW_MARGIN: 0.1,
  QUEUE_ELASTIC: false,
  ALLOWED_ADDRESSES: [],
  DOWNLOAD_MAXSIZE_TOTAL: 64 * MiB,
  KEEPALIVE_MAX_ORIGINS: 1000,
  DNS_OVERRIDES: {},
  PROXY: '',
  RETRY_AFTER_MAX: 300,
  CRAWL_DELAY_MAX: 60,
  SITEMAP_MAX_BYTES: 50 * MiB,
  ...metricsDefaults(9410),
  LOGSTATS_INTERVAL: 60,
};

/** The crawler settings table: its settings, their defaults, accepted other names and log setting names. */
export const crawlerSettingsSpec: ComponentSpec<CrawlerSettings> = {
  fields: crawlerFields,
  defaults: CRAWLER_DEFAULTS,
  aliases: {
    // The original spells one name wrong and some users another: both spellings are accepted.
    SCHEDULER_ITEM_RETRIES: 'SCHEUDLER_ITEM_RETRIES',
    SCHEDULER_QUEUE_TIEOUT: 'SCHEDULER_QUEUE_TIMEOUT',
  },
  log: logSettingNames('SC_'),
};
