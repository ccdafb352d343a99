import { STATUS_CODES } from 'node:http';
import { decodeText, detectEncoding } from './encoding.js';
import type { FetchResponse } from './types.js';

export interface ResponseInit {
  url: string;
  finalUrl: string;
  status: number;
  /** As undici gives them. */
  rawHeaders: Record<string, string | string[] | undefined>;
  /** Whether Content-Encoding was undone, so the header must not be reported. */
  decoded: boolean;
  sentHeaders: Readonly<Record<string, string>>;
  body: Buffer;
  redirects: string[];
  elapsedMs: number;
}

/**
 * A fetched response. Header lists, the encoding and the text are built on first use: many callers never ask
 * for some of them (an image needs no text).
 */
export class FetchedResponse implements FetchResponse {
  readonly url: string;
  readonly finalUrl: string;
  readonly status: number;
  readonly body: Buffer;
  readonly redirects: string[];
  readonly elapsedMs: number;
  private readonly init: ResponseInit;
  private headersMemo: Record<string, string[]> | undefined;
  private requestHeadersMemo: Record<string, string[]> | undefined;
  private encodingMemo: string | undefined;
  private textMemo: string | undefined;

  constructor(init: ResponseInit) {
    this.init = init;
    this.url = init.url;
    this.finalUrl = init.finalUrl;
    this.status = init.status;
    this.body = init.body;
    this.redirects = init.redirects;
    this.elapsedMs = init.elapsedMs;
  }

  get statusText(): string {
    return STATUS_CODES[this.status] ?? '';
  }

  get headers(): Record<string, string[]> {
    if (!this.headersMemo) {
      const out: Record<string, string[]> = {};
      for (const [name, value] of Object.entries(this.init.rawHeaders)) {
        if (value === undefined || (this.init.decoded && name === 'content-encoding')) continue;
        out[name] = Array.isArray(value) ? value : [value];
      }
      this.headersMemo = out;
    }
    return this.headersMemo;
  }

  get requestHeaders(): Record<string, string[]> {
    if (!this.requestHeadersMemo) {
      const out: Record<string, string[]> = {};
      for (const [name, value] of Object.entries(this.init.sentHeaders)) out[name] = [value];
      this.requestHeadersMemo = out;
    }
    return this.requestHeadersMemo;
  }

  get encoding(): string {
    if (this.encodingMemo === undefined) {
      const type = this.init.rawHeaders['content-type'];
      this.encodingMemo = detectEncoding(this.body, Array.isArray(type) ? type[0] : type);
    }
    return this.encodingMemo;
  }

  get text(): string {
    this.textMemo ??= decodeText(this.body, this.encoding);
    return this.textMemo;
  }
}
