import { Ajv, type ValidateFunction } from 'ajv';
import { fieldMessage, HTTP_URL_FORMAT, isHttpUrl } from './field-errors.js';
import { compileUserPatterns } from '../user-regex.js';
import { errorMessage } from '../errors.js';

export type JsonObject = Record<string, unknown>;

export type Validation = { ok: true; value: JsonObject } | { ok: false; error: string };

// verbose: errors carry the failing value and its field's schema, which fieldMessage puts into words.
const ajv = new Ajv({ allErrors: false, strict: false, verbose: true });
ajv.addFormat(HTTP_URL_FORMAT, isHttpUrl);

/**
 * Deepest nesting of objects and arrays a request may have. Real requests are 3 or 4 levels deep; the
 * limit keeps every recursive step (validation, copy, logging) far from the stack's end, so a record
 * thousands of levels deep is refused with a clear error instead of overflowing the stack.
 */
export const MAX_REQUEST_DEPTH = 64;

/** Headers of a seed the HTTP client sets from the request itself (or that would change the connection). */
const FORBIDDEN_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-connection',
]);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Members the crawler compiles as RE2 patterns: refused here when they would not compile there. */
const REGEX_MEMBERS = ['allow_regex', 'deny_regex'] as const;

/** The nesting depth of JSON data, measured without recursion, stopping once it passes `limit`. */
export function jsonDepth(value: unknown, limit = Infinity): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, level]);
  }
  return deepest;
}

/**
 * A deep copy of JSON data (what JSON.parse returns): arrays and plain objects are copied, everything else
 * is returned as it is. Much cheaper than structuredClone for the small objects requests are.
 */
export function cloneJson(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cloneJson);
  const copy: JsonObject = {};
  for (const key of Object.keys(value)) {
    const item = cloneJson((value as JsonObject)[key]);
    // JSON.parse makes "__proto__" an own key; assigning it would set the prototype instead.
    if (key === '__proto__')
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy;
}

/**
 * A compiled JSON schema that, on success, returns a copy with the schema's defaults filled in after the
 * request's own keys, in schema order (the original's member layout). Defaults are applied after
 * validation, so `null` defaults are not checked against the property type, as in the original.
 */
export class SchemaValidator {
  private readonly check: ValidateFunction;
  private readonly defaults: [string, unknown][];

  constructor(readonly schema: JsonObject) {
    this.check = ajv.compile(schema);
    const properties = (schema.properties ?? {}) as Record<string, { default?: unknown }>;
    this.defaults = Object.entries(properties)
      .filter(([, p]) => 'default' in p)
      .map(([name, p]) => [name, p.default]);
  }

  validate(request: unknown): Validation {
    if (jsonDepth(request, MAX_REQUEST_DEPTH) > MAX_REQUEST_DEPTH) {
      return { ok: false, error: `request is nested more than ${MAX_REQUEST_DEPTH} levels deep` };
    }
    if (!this.check(request)) {
      const [first] = this.check.errors ?? [];
      return { ok: false, error: first ? fieldMessage(first) : 'invalid request' };
    }
    const badRegex = this.badRegex(request as JsonObject);
    if (badRegex !== undefined) return { ok: false, error: badRegex };
    const badShape = this.badRequestShape(request as JsonObject);
    if (badShape !== undefined) return { ok: false, error: badShape };
    const value = cloneJson(request) as JsonObject;
    for (const [name, fallback] of this.defaults)
      if (!Object.hasOwn(value, name)) value[name] = cloneJson(fallback);
    return { ok: true, value };
  }

  /**
   * Why a seed's `headers`, `method` and `body` (optional members beyond the original's schema) cannot go
   * together: a header the client itself sets (Host, Content-Length...), or a body with a method that
   * takes none.
   */
  private badRequestShape(request: JsonObject): string | undefined {
    const properties = (this.schema.properties ?? {}) as JsonObject;
    if ('headers' in properties && request.headers && typeof request.headers === 'object') {
      const forbidden = Object.keys(request.headers).find((name) =>
        FORBIDDEN_HEADERS.has(name.toLowerCase()),
      );
      if (forbidden !== undefined) return `headers: ${forbidden} is set by the crawler and cannot be given`;
    }
    if ('body' in properties && typeof request.body === 'string' && request.body !== '') {
      const method = typeof request.method === 'string' ? request.method : 'GET';
      if (!BODY_METHODS.has(method))
        return `body: a ${method} request takes no body (use POST, PUT, PATCH or DELETE)`;
    }
    return undefined;
  }

  /** Why one of the request's regex members would not compile in the crawler (RE2), if one would not. */
  private badRegex(request: JsonObject): string | undefined {
    const properties = (this.schema.properties ?? {}) as JsonObject;
    for (const member of REGEX_MEMBERS) {
      const patterns = request[member];
      if (!(member in properties) || !Array.isArray(patterns)) continue;
      try {
        compileUserPatterns(member, patterns.map(String));
      } catch (err) {
        return errorMessage(err);
      }
    }
    return undefined;
  }
}
