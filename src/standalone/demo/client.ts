// A small client of the standalone cluster's REST service, as any program would use it: `POST /feed`
// and the Server-Sent Events streams (`/stream/crawled`, `/stream/outbound`). The demo uses it; tests can.

/** The REST service's answer to `POST /feed`: HTTP status and the reply's envelope fields. */
export interface FeedAnswer {
  httpStatus: number;
  status?: string;
  data?: unknown;
  error?: unknown;
}

/** Sends one request to `POST <base>/feed`. */
export async function feed(base: string, request: Record<string, unknown>): Promise<FeedAnswer> {
  const response = await fetch(`${base}/feed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { httpStatus: response.status, status: body.status as string, data: body.data, error: body.error };
}

export interface EventStream {
  close(): void;
  /** Resolves once the stream ended (closed, or the server went away). */
  done: Promise<void>;
  /** The response headers (content type...). */
  headers: Headers;
}

/** Follows a Server-Sent Events endpoint, calling `onData` with each event's data (lines joined). */
export async function openStream(url: string, onData: (data: string) => void): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (!response.ok || !response.body) throw new Error(`GET ${url} answered ${response.status}`);
  const body = response.body;
  const done = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
          if (data.length > 0) onData(data.join('\n'));
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return { close: () => controller.abort(), done, headers: response.headers };
}
