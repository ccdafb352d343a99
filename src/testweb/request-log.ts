import type { IncomingHttpHeaders } from 'node:http';

export interface RecordedRequest {
  /** Epoch milliseconds with sub-millisecond precision, taken when the request arrived. */
  time: number;
  /** The Host header's name, lower case, without the port. */
  host: string;
  /** Path and query as requested. */
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  /** The client's port: requests sharing it came over one connection. */
  remotePort: number;
}

/** Every request the test web served, up to a limit; requests past the limit are only counted. */
export class RequestLog {
  readonly entries: RecordedRequest[] = [];
  count = 0;

  constructor(private readonly limit: number) {}

  add(host: string, path: string, method: string, headers: IncomingHttpHeaders, remotePort: number): void {
    this.count++;
    if (this.entries.length >= this.limit) return;
    const time = performance.timeOrigin + performance.now();
    this.entries.push({ time, host, path, method, headers, remotePort });
  }

  for(host: string): RecordedRequest[] {
    const name = hostName(host);
    return this.entries.filter((r) => r.host === name);
  }

  clear(): void {
    this.entries.length = 0;
    this.count = 0;
  }
}

/** 'D3.test:8080' → 'd3.test'; '[::1]:80' → '[::1]'. */
export function hostName(hostHeader: string): string {
  const lower = hostHeader.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.indexOf(':');
  return colon < 0 ? lower : lower.slice(0, colon);
}
