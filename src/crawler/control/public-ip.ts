import { request } from 'undici';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';

/** The address throttle keys use until a lookup has answered once. */
export const PUBLIC_IP_FALLBACK = '127.0.0.1';

export interface PublicIpOptions {
  url: string;
  pattern: string;
  timeoutSeconds: number;
  logger: Logger;
}

/**
 * One GET of PUBLIC_IP_URL, the first match of IP_ADDR_REGEX (its first group, else the whole match).
 * Unlike the original it gives up after `timeoutSeconds` (the original could hang). Throws on failure.
 */
export async function fetchPublicIp(options: Omit<PublicIpOptions, 'logger'>): Promise<string> {
  const response = await request(options.url, {
    headersTimeout: options.timeoutSeconds * 1000,
    bodyTimeout: options.timeoutSeconds * 1000,
    signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
  });
  const text = await response.body.text();
  const match = new RegExp(options.pattern).exec(text);
  if (!match) throw new Error('no address in the answer');
  return match[1] ?? match[0];
}

/**
 * The crawler's public IP for IP-style throttling (seed 3.3.2), refreshed by the crawler only while
 * SCHEDULER_IP_ENABLED is on. A failed lookup keeps the last known address (127.0.0.1 before the first
 * answer), and a failure streak logs ONE warning and one info line when it ends, so an offline machine
 * is not flooded with an ERROR every SCHEDULER_IP_REFRESH seconds as the original did.
 */
export class PublicIpLookup {
  private address = PUBLIC_IP_FALLBACK;
  private failing = false;

  constructor(private readonly options: PublicIpOptions) {}

  get current(): string {
    return this.address;
  }

  /** Looks the address up once; resolves to the address now in use, whatever happened. */
  async refresh(): Promise<string> {
    const { logger, url } = this.options;
    try {
      const ip = await fetchPublicIp(this.options);
      if (this.failing) logger.info('Public IP lookup answers again', { url });
      this.failing = false;
      this.address = ip;
    } catch (err) {
      if (!this.failing) {
        logger.warning('Could not reach out to get public ip; keeping the last known address', {
          url,
          error: errorMessage(err),
          ip: this.address,
        });
      }
      this.failing = true;
    }
    return this.address;
  }
}
