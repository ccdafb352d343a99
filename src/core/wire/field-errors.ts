import type { ErrorObject } from 'ajv';

/**
 * Schema errors that name the field and what it must be, e.g. `maxdepth: must be an integer from 0 to 3,
 * got "x"`, instead of jsonschema's `'x' is not of type 'integer'`, which names neither. Shared by the
 * Kafka Monitor, `kafka-monitor feed` and the REST service's `/feed` (all validate through
 * SchemaValidator), so the same input is refused with the same words everywhere.
 */

/** The ajv format every crawl `url` carries: an absolute http or https URL with a host. */
export const HTTP_URL_FORMAT = 'http-url';

export function isHttpUrl(text: string): boolean {
  if (!/^https?:\/\//i.test(text.trim())) return false;
  try {
    return new URL(text.trim()).hostname !== '';
  } catch {
    return false;
  }
}

type Subschema = {
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  uniqueItems?: boolean;
  items?: Subschema;
};

const ARTICLE: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'null',
};

function range(low: number | undefined, high: number | undefined, unit = ''): string {
  if (low !== undefined && high !== undefined) return ` from ${low} to ${high}${unit}`;
  if (low !== undefined) return unit ? ` of at least ${low}${unit}` : ` >= ${low}`;
  if (high !== undefined) return unit ? ` of at most ${high}${unit}` : ` <= ${high}`;
  return '';
}

/** What a value of `schema` must be, in words: `an integer from 1 to 100`, `a list of unique strings`. */
export function expectation(schema: Subschema | undefined): string {
  if (!schema) return 'valid';
  if (schema.format === HTTP_URL_FORMAT) return 'an absolute http(s) URL';
  if (schema.enum) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  const words = types.map((type) => {
    let text = ARTICLE[type] ?? type;
    if (type === 'integer' || type === 'number') text += range(schema.minimum, schema.maximum);
    if (type === 'string') {
      const { minLength: low, maxLength: high } = schema;
      if (low !== undefined && high !== undefined) text += ` of ${low} to ${high} characters`;
      else text += range(low, high, ' characters');
      if (schema.pattern === '^[^:]*$') text += " without ':'";
      else if (schema.pattern) text += ` matching ${schema.pattern}`;
    }
    if (type === 'array' && schema.items) {
      const item = expectation(schema.items).replace(/^an? /, '');
      text = `a list of ${schema.uniqueItems ? 'unique ' : ''}${item}${item.endsWith('s') ? '' : 's'}`;
    }
    return text;
  });
  return words.join(' or ') || 'valid';
}

/** `allowed_domains/0` → `allowed_domains[0]`. */
function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  return out || 'request';
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The message for an ajv error (compiled with `verbose: true`, so the failing value and the schema of
 * its field come along).
 */
export function fieldMessage(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${fieldPath(error.instancePath, String(params.missingProperty))}: is required`;
    case 'additionalProperties':
      return `${fieldPath(error.instancePath, String(params.additionalProperty))}: is not a known field`;
    case 'uniqueItems':
      return `${fieldPath(error.instancePath)}: must not repeat items, got ${shown(error.data)}`;
    default:
      return `${fieldPath(error.instancePath)}: must be ${expectation(error.parentSchema as Subschema)}, got ${shown(error.data)}`;
  }
}
