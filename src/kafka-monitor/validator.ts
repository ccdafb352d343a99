import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { fieldMessage, HTTP_URL_FORMAT, isHttpUrl } from './field-errors.js';

export type JsonObject = Record<string, unknown>;

export type Validation = { ok: true; value: JsonObject } | { ok: false; error: string };

// verbose: errors carry the failing value and its field's schema, which fieldMessage puts into words.
const ajv = new Ajv({ allErrors: false, strict: false, verbose: true });
ajv.addFormat(HTTP_URL_FORMAT, isHttpUrl);

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

/** An ajv error in the wording Python's jsonschema uses, which clients of the original see. */
export function jsonschemaMessage(error: ErrorObject, instance: unknown): string {
  const params = error.params as Record<string, unknown>;
  const path = error.instancePath.split('/').filter(Boolean);
  let value: unknown = instance;
  for (const part of path) value = (value as JsonObject | undefined)?.[part];
  switch (error.keyword) {
    case 'additionalProperties':
      return `Additional properties are not allowed ('${String(params.additionalProperty)}' was unexpected)`;
    case 'required':
      return `'${String(params.missingProperty)}' is a required property`;
    case 'type':
      return `${describe(value)} is not of type '${String(params.type)}'`;
    case 'enum':
      return `${describe(value)} is not one of ${JSON.stringify(params.allowedValues)}`;
    case 'minLength':
      return `${describe(value)} is too short`;
    case 'maxLength':
      return `${describe(value)} is too long`;
    case 'minimum':
      return `${describe(value)} is less than the minimum of ${String(params.limit)}`;
    case 'maximum':
      return `${describe(value)} is greater than the maximum of ${String(params.limit)}`;
    case 'uniqueItems':
      return `${describe(value)} has non-unique elements`;
    case 'pattern':
      return `${describe(value)} does not match '${String(params.pattern)}'`;
    default:
      return `${path.join('.') || 'request'} ${error.message ?? 'is invalid'}`;
  }
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
    if (!this.check(request)) {
      const [first] = this.check.errors ?? [];
      return { ok: false, error: first ? fieldMessage(first) : 'invalid request' };
    }
    const value = cloneJson(request) as JsonObject;
    for (const [name, fallback] of this.defaults)
      if (!Object.hasOwn(value, name)) value[name] = cloneJson(fallback);
    return { ok: true, value };
  }
}
