import type { LookupFunction } from 'node:net';
import { ProxyAgent } from 'undici';
import { SettingsError } from '../../core/errors.js';
import { FetchError } from './errors.js';

/** Where proxies come from, in order: the request's own (`meta.proxy`), PROXY, then the environment. */
export interface ProxySources {
  /** The PROXY setting: one proxy for every request ('' for none). */
  setting: string;
  /** HTTP_PROXY, HTTPS_PROXY and NO_PROXY (either case), as in process.env. */
  env: Readonly<Record<string, string | undefined>>;
}

interface Chosen {
  url: URL;
  /**
   * Operator configuration (PROXY, the environment) is trusted wherever it points; a proxy named by a
   * crawl request must pass the address guard like any target, or a request could reach private
   * addresses through it.
   */
  guarded: boolean;
}

/** A proxy URL fit for a log line or an error message: the password replaced. */
export function redactProxy(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}

function parseProxy(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The crawler's proxies: picks the proxy of each request and keeps one undici ProxyAgent per proxy URL
 * (plain-HTTP targets are forwarded as absolute-URI requests, HTTPS ones tunnelled with CONNECT).
 * Credentials in a proxy URL go as Proxy-Authorization, never into a header the crawler records or a log.
 */
export class Proxies {
  private readonly setting: URL | undefined;
  private readonly httpProxy: URL | undefined;
  private readonly httpsProxy: URL | undefined;
  private readonly noProxy: string[];
  private readonly agents = new Map<string, ProxyAgent>();

  constructor(
    sources: ProxySources,
    private readonly options: { guardedLookup: LookupFunction; connectTimeoutMs: number; verifyTls: boolean },
  ) {
    if (sources.setting !== '') {
      this.setting = parseProxy(sources.setting);
      if (!this.setting)
        throw new SettingsError(
          `Setting PROXY: ${redactProxy(sources.setting)} is not an http:// or https:// proxy URL`,
        );
    }
    const env = (name: string) => sources.env[name] ?? sources.env[name.toLowerCase()] ?? '';
    this.httpProxy = env('HTTP_PROXY') ? parseProxy(env('HTTP_PROXY')) : undefined;
    this.httpsProxy = env('HTTPS_PROXY') ? parseProxy(env('HTTPS_PROXY')) : undefined;
    this.noProxy = env('NO_PROXY')
      .split(',')
      .map((entry) =>
        entry
          .trim()
          .toLowerCase()
          .replace(/:\d+$/, '')
          .replace(/^\*?\./, ''),
      )
      .filter((entry) => entry !== '');
  }

  /** Whether any proxy may be used (so the plain path needs no choice when none is). */
  get configured(): boolean {
    return this.setting !== undefined || this.httpProxy !== undefined || this.httpsProxy !== undefined;
  }

  /**
   * The proxy for a request to `target`: its own (`requested`, from `meta.proxy`), else PROXY, else
   * HTTPS_PROXY / HTTP_PROXY by the target's scheme, unless NO_PROXY names the target's host. An invalid
   * requested proxy fails the request (not retryable).
   */
  choose(target: URL, requested: string | null | undefined): Chosen | undefined {
    if (typeof requested === 'string' && requested !== '') {
      const url = parseProxy(requested);
      if (!url)
        throw new FetchError(
          'invalid-proxy',
          target.href,
          `Invalid proxy for ${target.href}: ${redactProxy(requested)} is not an http:// or https:// URL`,
        );
      return { url, guarded: true };
    }
    const fallback = this.setting ?? (target.protocol === 'https:' ? this.httpsProxy : this.httpProxy);
    if (!fallback || this.bypassed(target.hostname)) return undefined;
    return { url: fallback, guarded: false };
  }

  /** The dispatcher that sends through `chosen` (made once per proxy URL and kind). */
  agent(chosen: Chosen): ProxyAgent {
    const key = `${chosen.guarded ? 'g' : 't'} ${chosen.url.href}`;
    let agent = this.agents.get(key);
    if (!agent) {
      const { guardedLookup, connectTimeoutMs, verifyTls } = this.options;
      agent = new ProxyAgent({
        uri: chosen.url.href,
        proxyTunnel: false,
        connect: { timeout: connectTimeoutMs, rejectUnauthorized: verifyTls },
        requestTls: { rejectUnauthorized: verifyTls },
        proxyTls: {
          timeout: connectTimeoutMs,
          rejectUnauthorized: verifyTls,
          ...(chosen.guarded ? { lookup: guardedLookup } : {}),
        },
      });
      this.agents.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((agent) => agent.close()));
    this.agents.clear();
  }

  private bypassed(hostname: string): boolean {
    const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
    return this.noProxy.some((entry) => entry === '*' || host === entry || host.endsWith(`.${entry}`));
  }
}
