import { CRAWLER_DEFAULTS } from '../settings.js';
import type { FetcherSettings } from './types.js';

/** The fetcher's settings: the crawler's defaults, with the given values (undefined ones ignored) on top. */
export function fetcherSettings(settings: Partial<FetcherSettings>): FetcherSettings {
  return { ...pickDefaults(), ...definedOnly(settings) };
}

function pickDefaults(): FetcherSettings {
  const d = CRAWLER_DEFAULTS;
  return {
    CONCURRENT_REQUESTS_PER_DOMAIN: d.CONCURRENT_REQUESTS_PER_DOMAIN,
    DOWNLOAD_TIMEOUT: d.DOWNLOAD_TIMEOUT,
    DOWNLOAD_MAXSIZE: d.DOWNLOAD_MAXSIZE,
    DOWNLOAD_WARNSIZE: d.DOWNLOAD_WARNSIZE,
    DOWNLOAD_MAXSIZE_TOTAL: d.DOWNLOAD_MAXSIZE_TOTAL,
    KEEPALIVE_MAX_ORIGINS: d.KEEPALIVE_MAX_ORIGINS,
    USER_AGENT: d.USER_AGENT,
    DEFAULT_REQUEST_HEADERS: d.DEFAULT_REQUEST_HEADERS,
    ROBOTSTXT_OBEY: d.ROBOTSTXT_OBEY,
    REDIRECT_ENABLED: d.REDIRECT_ENABLED,
    REDIRECT_MAX_TIMES: d.REDIRECT_MAX_TIMES,
    DNSCACHE_ENABLED: d.DNSCACHE_ENABLED,
    ALLOWED_ADDRESSES: d.ALLOWED_ADDRESSES,
    DNS_OVERRIDES: d.DNS_OVERRIDES,
    PROXY: d.PROXY,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
