import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * API keys (REST_API_KEYS). With none configured every request passes, as in the original. A key is
 * accepted from `X-Api-Key: <key>` or `Authorization: Bearer <key>`; comparison is constant-time.
 */
export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.filter((k) => k.length > 0).map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  allows(headers: IncomingHttpHeaders): boolean {
    if (!this.enabled) return true;
    const presented = presentedKey(headers);
    if (presented === undefined) return false;
    const candidate = digest(presented);
    // Every key is compared, so the time taken does not tell which one came close.
    let match = false;
    for (const known of this.digests) if (timingSafeEqual(known, candidate)) match = true;
    return match;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-api-key'];
  const apiKey = Array.isArray(header) ? header[0] : header;
  if (apiKey !== undefined && apiKey !== '') return apiKey;
  const auth = headers.authorization;
  const match = auth === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(auth);
  return match?.[1];
}

export const CORS_ALLOW_METHODS = 'GET, POST, OPTIONS';
export const CORS_ALLOW_HEADERS = 'Content-Type, X-Api-Key, Authorization';
export const CORS_MAX_AGE_SECONDS = 600;

/** Cross-origin access (REST_CORS_ORIGINS): none when empty; `*` allows any origin. */
export class CorsPolicy {
  private readonly any: boolean;
  private readonly origins: Set<string>;

  constructor(origins: readonly string[]) {
    this.any = origins.includes('*');
    this.origins = new Set(origins.filter((o) => o !== '*').map((o) => o.replace(/\/+$/, '')));
  }

  get enabled(): boolean {
    return this.any || this.origins.size > 0;
  }

  /** The Access-Control-Allow-Origin value for a request from `origin`, or undefined to send none. */
  allowOrigin(origin: string | undefined): string | undefined {
    if (origin === undefined || !this.enabled) return undefined;
    if (this.any) return '*';
    return this.origins.has(origin) ? origin : undefined;
  }
}
