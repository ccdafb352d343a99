import { request } from 'undici';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logging/index.js';

const FALLBACK = '127.0.0.1';

/**
 * Finds the crawler's public IP for IP-style throttling (seed 3.3.2): GET PUBLIC_IP_URL, first match of
 * IP_ADDR_REGEX. Unlike the original it gives up after `timeoutSeconds` (the original could hang), and
 * falls back to 127.0.0.1 with a warning.
 */
export async function lookupPublicIp(options: {
  url: string;
  pattern: string;
  timeoutSeconds: number;
  logger: Logger;
}): Promise<string> {
  try {
    const response = await request(options.url, {
      headersTimeout: options.timeoutSeconds * 1000,
      bodyTimeout: options.timeoutSeconds * 1000,
      signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
    });
    const text = await response.body.text();
    const match = new RegExp(options.pattern).exec(text);
    if (match) return match[1] ?? match[0];
    options.logger.error('Could not reach out to get public ip', {
      url: options.url,
      error: 'no address in the answer',
    });
  } catch (err) {
    options.logger.error('Could not reach out to get public ip', {
      url: options.url,
      error: errorMessage(err),
    });
  }
  return FALLBACK;
}
