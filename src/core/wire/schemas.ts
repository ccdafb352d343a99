import { readFileSync } from 'node:fs';
import type { JsonObject } from './validator.js';

/**
 * The JSON API's request schemas (the original's `plugins/*_schema.json`), each under the name of the
 * Kafka Monitor plugin that handles it. The Kafka Monitor's built-in plugins and the REST service's
 * `/feed` check both read them from here, so the two cannot drift apart.
 */
export const API_SCHEMA_FILES = {
  ScraperHandler: 'scraper_schema.json',
  ActionHandler: 'action_schema.json',
  StatsHandler: 'stats_schema.json',
  ZookeeperHandler: 'zookeeper_schema.json',
} as const;

export type ApiSchemaName = keyof typeof API_SCHEMA_FILES;

/**
 * The Kafka Monitor's default PLUGINS (the original's ranks): the order in which a request is tried
 * against the API's schemas, by the Kafka Monitor and by the REST service's `/feed` check alike.
 */
export const DEFAULT_API_PLUGIN_RANKS: Readonly<Record<ApiSchemaName, number>> = {
  ScraperHandler: 100,
  ActionHandler: 200,
  StatsHandler: 300,
  ZookeeperHandler: 400,
};

/** Reads one of the built-in JSON schemas shipped in ./schemas. */
export function loadBuiltInSchema(file: string): JsonObject {
  return JSON.parse(readFileSync(new URL(`./schemas/${file}`, import.meta.url), 'utf8')) as JsonObject;
}

/** The schema of one API request type, by its plugin name. */
export function apiSchema(name: ApiSchemaName): JsonObject {
  return loadBuiltInSchema(API_SCHEMA_FILES[name]);
}

/** The API's schemas in the order of `ranks` (the Kafka Monitor's PLUGINS map), skipping non-API names. */
export function rankedApiSchemas(ranks: Record<string, unknown>): { name: string; schema: JsonObject }[] {
  return Object.entries(ranks)
    .filter((entry): entry is [ApiSchemaName, unknown] => entry[0] in API_SCHEMA_FILES && entry[1] !== null)
    .sort(([, a], [, b]) => Number(a) - Number(b))
    .map(([name]) => ({ name, schema: apiSchema(name) }));
}
