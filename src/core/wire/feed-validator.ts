import { DEFAULT_API_PLUGIN_RANKS, rankedApiSchemas } from './schemas.js';
import { SchemaValidator, type JsonObject } from './validator.js';

export type FeedValidation = { ok: true } | { ok: false; cause: string; schema: string };

interface NamedValidator {
  name: string;
  schema: JsonObject;
  validator: SchemaValidator;
}

/** The Kafka Monitor's built-in schemas, in the rank order of its default PLUGINS. */
function builtInSchemas(): { name: string; schema: JsonObject }[] {
  return rankedApiSchemas(DEFAULT_API_PLUGIN_RANKS);
}

/**
 * How close a request comes to a schema it failed: members the schema declares count for it, unknown
 * members (under additionalProperties false) and missing required members against it, and a member
 * whose value is (or is not) in the schema's enum weighs double. The best-scoring schema gives the
 * most useful error, e.g. the crawl schema's for a request with `url`, the ZooKeeper schema's for
 * `"action": "domain-update"`.
 */
function closeness(schema: JsonObject, request: JsonObject): number {
  const properties = (schema.properties ?? {}) as Record<string, { enum?: unknown[] }>;
  const required = (schema.required ?? []) as string[];
  let score = 0;
  for (const [key, value] of Object.entries(request)) {
    const property = properties[key];
    if (!property) {
      if (schema.additionalProperties === false) score -= 1;
      continue;
    }
    score += 1;
    if (property.enum) score += property.enum.includes(value) ? 2 : -2;
  }
  for (const key of required) if (!(key in request)) score -= 1;
  return score;
}

/**
 * Checks a `/feed` request against the schemas the Kafka Monitor uses, in its order: valid when any
 * one validates (the Kafka Monitor would then accept it). Otherwise the cause is the error of the
 * schema the request was closest to, in jsonschema's wording.
 */
export class FeedValidator {
  private readonly validators: NamedValidator[];

  constructor(schemas: { name: string; schema: JsonObject }[] = builtInSchemas()) {
    this.validators = schemas.map(({ name, schema }) => ({
      name,
      schema,
      validator: new SchemaValidator(schema),
    }));
  }

  get schemaNames(): string[] {
    return this.validators.map((v) => v.name);
  }

  validate(request: unknown): FeedValidation {
    const failures: { entry: NamedValidator; error: string }[] = [];
    for (const entry of this.validators) {
      const result = entry.validator.validate(request);
      if (result.ok) return { ok: true };
      failures.push({ entry, error: result.error });
    }
    const isObject = typeof request === 'object' && request !== null && !Array.isArray(request);
    let best = failures[0];
    if (isObject) {
      let bestScore = -Infinity;
      for (const failure of failures) {
        const score = closeness(failure.entry.schema, request as JsonObject);
        if (score > bestScore) {
          best = failure;
          bestScore = score;
        }
      }
    }
    return best
      ? { ok: false, cause: best.error, schema: best.entry.name }
      : { ok: false, cause: 'no schema to validate against', schema: '' };
  }
}
