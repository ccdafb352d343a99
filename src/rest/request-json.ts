import type { FastifyRequest } from 'fastify';

export type JsonBody = { ok: true; value: unknown } | { ok: false };

/** Whether a Content-Type names JSON: `application/json` or `application/<something>+json`, as Flask's `is_json`. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const media = header.split(';', 1)[0]!.trim().toLowerCase();
  return media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'));
}

/**
 * The request body as JSON, or not-ok when the content type is not JSON or the body does not parse,
 * the cases the original answered with "The payload must be valid JSON." The body arrives as raw bytes
 * (the service installs one catch-all parser), so every content type reaches this decision.
 */
export function requestJson(request: FastifyRequest): JsonBody {
  if (!isJsonContentType(request.headers['content-type'])) return { ok: false };
  const body = request.body;
  if (!Buffer.isBuffer(body) || body.length === 0) return { ok: false };
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}
