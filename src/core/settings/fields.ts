import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * How a raw string (an environment variable, or a string found in a settings file) is turned into a typed
 * value for a setting. Null defaults are ambiguous on their own, so every known setting carries its kind.
 */
export type FieldKind =
  'int' | 'float' | 'bool' | 'string' | 'hosts' | 'int-list' | 'string-list' | 'string-map' | 'rank-map';

/** The description of one known setting: how to parse it from text, how to validate it, how to explain it. */
export interface SettingField<T = unknown> {
  readonly kind: FieldKind;
  /** null is a legal value ("disabled" / "not set"); an empty string from the environment means null. */
  readonly nullable: boolean;
  /** Completes "expected ...", e.g. "an integer 1-65535". */
  readonly expected: string;
  readonly schema: z.ZodType<T>;
  /** Applied to every value that does not come from the defaults, before validation. */
  readonly normalize?: (value: unknown) => unknown;
}

export type FieldMap = Readonly<Record<string, SettingField>>;

/** The typed settings object described by a field map. */
export type SettingsOf<F extends FieldMap> = {
  [K in keyof F]: F[K] extends SettingField<infer T> ? T : never;
};

interface Range {
  min?: number;
  max?: number;
}

function rangeText(noun: string, { min, max }: Range): string {
  if (min !== undefined && max !== undefined) return `${noun} ${min}-${max}`;
  if (min !== undefined) return min === 0 ? `${noun} >= 0` : `${noun} >= ${min}`;
  if (max !== undefined) return `${noun} <= ${max}`;
  return noun;
}

function intSchema({ min, max }: Range): z.ZodNumber {
  let schema = z.number().int();
  if (min !== undefined) schema = schema.min(min);
  if (max !== undefined) schema = schema.max(max);
  return schema;
}

function make<T>(
  kind: FieldKind,
  expected: string,
  schema: z.ZodType<T>,
  extra: { nullable?: boolean; normalize?: (value: unknown) => unknown } = {},
): SettingField<T> {
  return { kind, expected, schema, nullable: extra.nullable ?? false, normalize: extra.normalize };
}

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type LogLevelSetting = (typeof LOG_LEVELS)[number];

/** Level names are accepted in any case, and WARN is the original's alias of WARNING. */
function normalizeLevel(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const upper = value.trim().toUpperCase();
  return upper === 'WARN' ? 'WARNING' : upper;
}

/** Python settings files list hosts as arrays; the project keeps them as one comma-separated string. */
function normalizeHosts(value: unknown): unknown {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join(',') : value;
}

/**
 * Plugin and middleware maps are keyed by class name. A Python-style dotted path
 * (`plugins.scraper_handler.ScraperHandler`) names the same class, so only its last segment is kept.
 */
function normalizeRankMap(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  // Dotted Python paths (`plugins.scraper_handler.ScraperHandler`) name built-ins by their last part;
  // module paths (`./plugins/x.js#X`) are kept whole.
  for (const [key, rank] of Object.entries(value)) {
    out[/[/#\\]/.test(key) ? key : key.slice(key.lastIndexOf('.') + 1)] = rank;
  }
  return out;
}

function isIpOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** Builders for the settings tables in `defaults/`. */
export const field = {
  int(range: Range = {}): SettingField<number> {
    return make('int', rangeText('an integer', range), intSchema(range));
  },

  /** An integer where null means "disabled" (e.g. GLOBAL_PAGE_PER_DOMAIN_LIMIT). */
  nullableInt(range: Range = {}): SettingField<number | null> {
    return make('int', `${rangeText('an integer', range)} or null`, intSchema(range).nullable(), {
      nullable: true,
    });
  },

  /** A number of seconds or a ratio; `positive` rejects 0. */
  float({ min = 0, positive = false }: { min?: number; positive?: boolean } = {}): SettingField<number> {
    const schema = positive ? z.number().gt(min) : z.number().gte(min);
    return make('float', positive ? `a number > ${min}` : `a number >= ${min}`, schema);
  },

  bool(): SettingField<boolean> {
    return make('bool', 'a boolean (true/false/1/0)', z.boolean());
  },

  string({ nonEmpty = true }: { nonEmpty?: boolean } = {}): SettingField<string> {
    return make(
      'string',
      nonEmpty ? 'a non-empty string' : 'a string',
      nonEmpty ? z.string().min(1) : z.string(),
    );
  },

  /** A string where null means "not set" (e.g. REDIS_PASSWORD). */
  nullableString(): SettingField<string | null> {
    return make('string', 'a string or null', z.string().nullable(), { nullable: true });
  },

  oneOf<const V extends readonly [string, ...string[]]>(values: V): SettingField<V[number]> {
    return make('string', `one of ${values.join(', ')}`, z.enum(values));
  },

  logLevel(): SettingField<LogLevelSetting> {
    return make('string', `one of ${LOG_LEVELS.join(', ')}`, z.enum(LOG_LEVELS), {
      normalize: normalizeLevel,
    });
  },

  /** `host:port[,host:port...]`; a list in a settings file is joined with commas. */
  hosts(): SettingField<string> {
    const schema = z
      .string()
      .refine((s) => s.split(',').every((part) => part.trim().length > 0), 'empty host entry');
    return make('hosts', 'a comma-separated list of host:port', schema, { normalize: normalizeHosts });
  },

  regex(): SettingField<string> {
    return make('string', 'a valid regular expression', z.string().min(1).refine(compiles));
  },

  url(): SettingField<string> {
    return make('string', 'an http(s) URL', z.url({ protocol: /^https?$/ }));
  },

  intList(range: Range = {}): SettingField<number[]> {
    return make('int-list', `a list of ${rangeText('integers', range)}`, z.array(intSchema(range)));
  },

  stringList(): SettingField<string[]> {
    return make('string-list', 'a list of non-empty strings', z.array(z.string().min(1)));
  },

  /** IP addresses or CIDR ranges such as 10.0.0.0/8. */
  addressList(): SettingField<string[]> {
    return make(
      'string-list',
      'a list of IP addresses or CIDR ranges',
      z.array(z.string().refine(isIpOrCidr)),
    );
  },

  stringMap(): SettingField<Record<string, string>> {
    return make('string-map', 'an object of string values', z.record(z.string().min(1), z.string()));
  },

  /** Host name → IP address. */
  addressMap(): SettingField<Record<string, string>> {
    const schema = z.record(
      z.string().min(1),
      z.string().refine((ip) => isIP(ip) !== 0),
    );
    return make('string-map', 'an object mapping host names to IP addresses', schema);
  },

  /** Class name → integer rank; lower ranks run first. A null rank in an override removes the entry. */
  rankMap(): SettingField<Record<string, number>> {
    const schema = z.record(z.string().min(1), z.number().int());
    return make('rank-map', 'an object of class name → integer rank (null removes one)', schema, {
      normalize: normalizeRankMap,
    });
  },
};
