import { SettingsError } from '../errors.js';
import { coerceText, describeValue, textTypeOfField, textTypeOfValue } from './coerce.js';
import type { ComponentSpec } from './component.js';
import type { SettingField } from './fields.js';
import { readSettingsFile } from './file.js';
import { isPlainObject, mergeSettings, type SettingsRecord } from './merge.js';

/**
 * A component's settings: every known setting typed, plus whatever extra keys a settings file added
 * (users keep their own settings next to ours, as with the original's localsettings.py).
 */
export type SettingsOfSpec<S> = S & Record<string, unknown>;

/** Command-line options that override settings (`-ll`, `-lj`, `-lf` in the original). */
export interface SettingsFlags {
  logLevel?: string;
  logJson?: boolean;
  /** Log to LOG_DIR/LOG_FILE instead of stdout. */
  logFile?: boolean;
  /**
   * `--set NAME=VALUE` (Scrapy's `-s NAME=VALUE`): text parsed like an environment variable. A name this
   * component does not have is skipped (one settings flag serves every component of a standalone run).
   */
  set?: Readonly<Record<string, string>>;
}

export type EnvSource = Readonly<Record<string, string | undefined>>;

export interface LoadSettingsOptions {
  /** Local settings file: .json, .yaml/.yml, or a .js/.mjs module. */
  file?: string;
  /** Values applied like a second settings file, after `file` (for embedding and tests). */
  overrides?: SettingsRecord;
  /** Defaults to process.env; pass `{}` to ignore the environment. */
  env?: EnvSource;
  flags?: SettingsFlags;
}

export interface ResolveSettingsOptions extends Omit<LoadSettingsOptions, 'file'> {
  /** The already-read contents of a settings file. */
  fileValues?: SettingsRecord;
  /** Where `fileValues` came from, for error messages. */
  filePath?: string;
}

class SettingsResolution<S> {
  values: SettingsRecord;
  /** Where each setting's current value came from, phrased for error messages ("from environment"). */
  private readonly origins = new Map<string, string>();
  /** Each overridden setting's value as the user wrote it, before parsing and normalising. */
  private readonly raw = new Map<string, unknown>();

  constructor(private readonly spec: ComponentSpec<S>) {
    this.values = structuredClone(spec.defaults) as SettingsRecord;
  }

  private field(key: string): SettingField | undefined {
    return Object.hasOwn(this.spec.fields, key) ? this.spec.fields[key] : undefined;
  }

  private aliasesOf(key: string): string[] {
    return Object.entries(this.spec.aliases)
      .filter(([, canonical]) => canonical === key)
      .map(([alias]) => alias);
  }

  private fail(key: string, origin: string, expected: string, value: unknown): never {
    throw new SettingsError(`Setting ${key} ${origin}: expected ${expected}, got ${describeValue(value)}`);
  }

  private merge(layer: SettingsRecord, raw: SettingsRecord, origin: (key: string) => string): void {
    this.values = mergeSettings(this.values, layer);
    for (const key of Object.keys(layer)) {
      this.origins.set(key, origin(key));
      this.raw.set(key, raw[key]);
    }
  }

  /** A settings file or programmatic overrides: aliases renamed, strings for typed settings parsed. */
  applyRecord(record: SettingsRecord, origin: string): void {
    const layer: SettingsRecord = {};
    const written: SettingsRecord = {};
    for (const [key, raw] of Object.entries(record)) {
      const canonical = Object.hasOwn(this.spec.aliases, key) ? this.spec.aliases[key] : undefined;
      // The canonical name wins when a file carries both spellings.
      if (canonical !== undefined && Object.hasOwn(record, canonical)) continue;
      const name = canonical ?? key;
      const field = this.field(name);
      let value = raw;
      if (field && typeof raw === 'string' && field.kind !== 'string' && field.kind !== 'hosts') {
        const coerced = coerceText(raw, textTypeOfField(field));
        if (!coerced.ok) this.fail(name, origin, field.expected, raw);
        value = coerced.value;
      }
      layer[name] = field?.normalize ? field.normalize(value) : value;
      written[name] = raw;
    }
    this.merge(layer, written, () => origin);
  }

  /** Environment variables named like settings that exist (or one of their aliases). Others are ignored. */
  applyEnv(env: EnvSource): void {
    const layer: SettingsRecord = {};
    const written: SettingsRecord = {};
    const names = new Map<string, string>();
    for (const key of Object.keys(this.values)) {
      const name = [key, ...this.aliasesOf(key)].find((candidate) => env[candidate] !== undefined);
      if (name === undefined) continue;
      const text = env[name] ?? '';
      const field = this.field(key);
      const type = field ? textTypeOfField(field) : textTypeOfValue(this.values[key]);
      const origin = name === key ? 'from environment' : `from environment variable ${name}`;
      const coerced = coerceText(text, type);
      if (!coerced.ok) this.fail(key, origin, type.expected, text);
      layer[key] = field?.normalize ? field.normalize(coerced.value) : coerced.value;
      written[key] = text;
      names.set(key, origin);
    }
    this.merge(layer, written, (key) => names.get(key) ?? 'from environment');
  }

  applyFlags(flags: SettingsFlags): void {
    const log = this.spec.log;
    const layer: SettingsRecord = {};
    const written: SettingsRecord = {};
    const origins = new Map<string, string>();
    const set = (key: string, value: unknown, flag: string): void => {
      const normalize = this.field(key)?.normalize;
      layer[key] = normalize ? normalize(value) : value;
      written[key] = value;
      origins.set(key, `from command-line flag ${flag}`);
    };
    for (const [name, text] of Object.entries(flags.set ?? {})) {
      const key = Object.hasOwn(this.spec.aliases, name) ? this.spec.aliases[name]! : name;
      if (!Object.hasOwn(this.values, key)) continue;
      const field = this.field(key);
      const type = field ? textTypeOfField(field) : textTypeOfValue(this.values[key]);
      const origin = `from command-line flag --set ${name}`;
      const coerced = coerceText(text, type);
      if (!coerced.ok) this.fail(key, origin, type.expected, text);
      layer[key] = field?.normalize ? field.normalize(coerced.value) : coerced.value;
      written[key] = text;
      origins.set(key, origin);
    }
    if (flags.logLevel !== undefined) set(log.level, flags.logLevel, '--log-level');
    if (flags.logJson !== undefined) set(log.json, flags.logJson, '--log-json');
    if (flags.logFile !== undefined) set(log.stdout, !flags.logFile, '--log-file');
    this.merge(layer, written, (key) => origins.get(key) ?? 'from command-line flags');
  }

  /** Where `key`'s value came from: `default`, `file`, `overrides`, `env` or `flag`. */
  sourceOf(key: string): SettingSource {
    const origin = this.origins.get(key);
    if (origin === undefined) return 'default';
    if (origin.startsWith('from settings file')) return 'file';
    if (origin.startsWith('from environment')) return 'env';
    if (origin.startsWith('from command-line')) return 'flag';
    return 'overrides';
  }

  /** Null ranks in plugin/middleware maps mean "not loaded"; drop them so consumers see only active ones. */
  private dropDisabledRanks(): void {
    for (const [key, field] of Object.entries(this.spec.fields)) {
      const map = this.values[key];
      if (field.kind !== 'rank-map' || !isPlainObject(map)) continue;
      this.values[key] = Object.fromEntries(Object.entries(map).filter(([, rank]) => rank !== null));
    }
  }

  finish(): SettingsOfSpec<S> {
    this.dropDisabledRanks();
    for (const [key, field] of Object.entries(this.spec.fields)) {
      const value = this.values[key];
      const result = field.schema.safeParse(value);
      if (!result.success) {
        const shown = this.raw.has(key) ? this.raw.get(key) : value;
        this.fail(key, this.origins.get(key) ?? 'from defaults', field.expected, shown);
      }
      this.values[key] = result.data;
    }
    return this.values as SettingsOfSpec<S>;
  }
}

/** Where a setting's effective value came from. */
export type SettingSource = 'default' | 'file' | 'overrides' | 'env' | 'flag';

function resolution<S>(spec: ComponentSpec<S>, options: ResolveSettingsOptions): SettingsResolution<S> {
  const resolution = new SettingsResolution<S>(spec);
  if (options.fileValues) {
    resolution.applyRecord(options.fileValues, `from settings file ${options.filePath ?? '(unnamed)'}`);
  }
  if (options.overrides) resolution.applyRecord(options.overrides, 'from overrides');
  resolution.applyEnv(options.env ?? process.env);
  if (options.flags) resolution.applyFlags(options.flags);
  return resolution;
}

/** A settings table's effective values with where each came from (`scrapy-cluster settings`). */
export async function explainSpecSettings<S>(
  spec: ComponentSpec<S>,
  options: LoadSettingsOptions = {},
): Promise<{ settings: SettingsOfSpec<S>; sources: Record<string, SettingSource> }> {
  const { file, ...rest } = options;
  const fileValues = file === undefined ? undefined : await readSettingsFile(file);
  const r = resolution(spec, {
    ...rest,
    ...(fileValues ? { fileValues, filePath: file } : {}),
  });
  const settings = r.finish();
  const sources = Object.fromEntries(Object.keys(settings).map((key) => [key, r.sourceOf(key)]));
  return { settings, sources };
}

/**
 * Builds a component's settings synchronously from values already in memory. Precedence, lowest first:
 * defaults, settings file, overrides, environment, command-line flags. Throws SettingsError
 * (SC_SETTINGS_INVALID) naming the setting, where the bad value came from, and what was expected.
 */
export function resolveSpecSettings<S>(
  spec: ComponentSpec<S>,
  options: ResolveSettingsOptions = {},
): SettingsOfSpec<S> {
  return resolution(spec, options).finish();
}

/**
 * Loads a component's settings: defaults, then the local settings file (`-s/--settings`), then
 * environment variables, then command-line flags. A missing or unreadable file is a SettingsError with
 * code SC_SETTINGS_FILE.
 */
export async function loadSpecSettings<S>(
  spec: ComponentSpec<S>,
  options: LoadSettingsOptions = {},
): Promise<SettingsOfSpec<S>> {
  const { file, ...rest } = options;
  if (file === undefined) return resolveSpecSettings(spec, rest);
  const fileValues = await readSettingsFile(file);
  return resolveSpecSettings(spec, { ...rest, fileValues, filePath: file });
}
