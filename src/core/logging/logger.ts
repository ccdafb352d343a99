import { join } from 'node:path';
import { pino, type Logger as PinoLogger } from 'pino';
import { errorMessage } from '../errors.js';
import { CallbackRegistry, type LogCallback, type LogExtras } from './callbacks.js';
import { localTime, pyDict, safeJson, utcTimestamp } from './format.js';
import { LEVELS, parseLevel, type LevelName } from './levels.js';
import { RotatingFileDestination } from './rotating-file.js';

/** Anything lines can be written to: a Node Writable, a SonicBoom, or a test collector. */
export interface LogDestination {
  write(chunk: string): unknown;
  flushSync?(): void;
}

/** The original LogObject's parameters, plus `destination` (tests, embedding). */
export interface LoggerOptions {
  /** One JSON object per line instead of a text line. */
  json?: boolean;
  /** Write to stdout; when false, write to the rotating file `dir/file`. */
  stdout?: boolean;
  /** The logger name; JSON lines carry it as `logger`, which ELK dashboards index. */
  name?: string;
  dir?: string;
  file?: string;
  /** Rotate the file before it would reach this many bytes (0: never rotate). */
  bytes?: number;
  /** Rotated files to keep (`file.1` ... `file.N`). */
  backups?: number;
  /** DEBUG, INFO, WARNING (or WARN), ERROR, CRITICAL; anything else falls back to DEBUG with a warning. */
  level?: string;
  /** Text mode only: append the caller's extras as a Python-style dict. */
  includeExtra?: boolean;
  /** Overrides `stdout`/`dir`/`file`: lines go here. The logger never closes it. */
  destination?: LogDestination;
  /**
   * Fire callbacks for records below the output level too. Off by default: the original only calls
   * callbacks for records it writes.
   */
  fireCallbacksBelowLevel?: boolean;
}

const DEFAULTS = {
  json: false,
  stdout: true,
  name: 'scrapy-cluster',
  dir: 'logs',
  file: 'main.log',
  bytes: 25_000_000,
  backups: 5,
  level: 'INFO',
  includeExtra: false,
} as const;

/** pino needs numeric levels (only the order matters) and insists on lower-case level names. */
type PinoLevel = Lowercase<LevelName>;
const PINO_LEVELS: Record<PinoLevel, number> = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 };
const PINO_METHOD: Record<LevelName, PinoLevel> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warning',
  ERROR: 'error',
  CRITICAL: 'critical',
};

const NO_EXTRAS: Readonly<LogExtras> = Object.freeze({});

/**
 * Extras that text lines carry even without SC_LOG_INCLUDE_EXTRA (as `key=value`), so a person reading
 * text logs sees what a JSON line would tell: which URL, what status, why, how many.
 */
const KEY_EXTRAS = [
  'url',
  'error_request',
  'status',
  'status_code',
  'reason',
  'error_reason',
  'error',
  'retry_count',
  'appid',
  'crawlid',
  'returned',
  'dropped',
  'count',
  'queue',
  'key',
  'plugin',
  'port',
] as const;

function keyExtras(extra: Readonly<LogExtras>): string {
  let out = '';
  for (const key of KEY_EXTRAS) {
    const value = extra[key];
    if (value === undefined || value === null || value === '') continue;
    const text = typeof value === 'string' ? value : safeJson(value);
    out += ` ${key}=${/[\s"]/.test(text) ? JSON.stringify(text) : text}`;
  }
  return out;
}

/** Keys the logger adds to every record; a caller's own value for one of them wins. */
const RESERVED = ['level', 'timestamp', 'logger'] as const;

type JsonWriter = PinoLogger<PinoLevel, true>;

/**
 * A leveled logger with the original LogFactory's output formats and callbacks. JSON lines are produced by
 * pino; text lines are written directly. Every write is synchronous.
 */
export class Logger {
  readonly name: string;
  readonly json: boolean;
  readonly level: LevelName;
  readonly includeExtra: boolean;

  private readonly threshold: number;
  private readonly callbacksBelowLevel: boolean;
  private readonly destination: LogDestination;
  private readonly ownsDestination: 'stdout' | 'file' | 'none';
  private readonly jsonWriter: JsonWriter | undefined;
  private readonly callbacks = new CallbackRegistry();
  private closed = false;
  private writeFailing = false;

  constructor(options: LoggerOptions = {}) {
    const opts = { ...DEFAULTS, ...stripUndefined(options) };
    this.name = opts.name;
    this.json = opts.json;
    this.includeExtra = opts.includeExtra;
    this.callbacksBelowLevel = options.fireCallbacksBelowLevel ?? false;
    const level = parseLevel(opts.level);
    this.level = level ?? 'DEBUG';
    this.threshold = LEVELS[this.level];

    let announce: string | undefined;
    if (options.destination) {
      this.destination = options.destination;
      this.ownsDestination = 'none';
    } else if (opts.stdout) {
      this.destination = pino.destination({ dest: 1, sync: true });
      this.ownsDestination = 'stdout';
      announce = 'Logging to stdout';
    } else {
      const path = join(opts.dir, opts.file);
      this.destination = new RotatingFileDestination({ path, maxBytes: opts.bytes, backups: opts.backups });
      this.ownsDestination = 'file';
      announce = `Logging to file: ${path}`;
    }
    this.jsonWriter = this.json ? this.createJsonWriter() : undefined;

    if (level === undefined) this.write('WARNING', `Unknown log level '${opts.level}', defaulting to DEBUG`);
    if (announce !== undefined) this.debug(announce);
  }

  private createJsonWriter(): JsonWriter {
    return pino<PinoLevel, true>(
      {
        level: 'debug',
        customLevels: PINO_LEVELS,
        useOnlyCustomLevels: true,
        messageKey: 'message',
        // pino writes these before the caller's fields: {"level","timestamp","logger",...extras,"message"}.
        formatters: { level: (label) => ({ level: label.toUpperCase() }) },
        timestamp: () => `,"timestamp":"${utcTimestamp(Date.now())}"`,
        base: { logger: this.name },
      },
      { write: (line: string) => this.writeLine(line) },
    );
  }

  debug(message: string, extra?: Readonly<LogExtras>): void {
    this.log('DEBUG', message, extra);
  }

  info(message: string, extra?: Readonly<LogExtras>): void {
    this.log('INFO', message, extra);
  }

  warn(message: string, extra?: Readonly<LogExtras>): void {
    this.log('WARNING', message, extra);
  }

  warning(message: string, extra?: Readonly<LogExtras>): void {
    this.log('WARNING', message, extra);
  }

  error(message: string, extra?: Readonly<LogExtras>): void {
    this.log('ERROR', message, extra);
  }

  critical(message: string, extra?: Readonly<LogExtras>): void {
    this.log('CRITICAL', message, extra);
  }

  /** Whether a record at `level` would be written; use it to skip building expensive extras. */
  isEnabledFor(level: LevelName): boolean {
    return LEVELS[level] >= this.threshold;
  }

  /**
   * Calls `fn(message, extras)` for records whose level matches `levelSpec` (`INFO`, `=INFO`, `<INFO`,
   * `<=INFO`, `>INFO`, `>=INFO`, `*`) and whose extras contain every key of `criteria` with an equal value.
   * Like the original, callbacks only see records at or above the output level unless the logger was
   * created with `fireCallbacksBelowLevel`.
   */
  registerCallback(levelSpec: string, fn: LogCallback, criteria?: Readonly<LogExtras>): void {
    this.callbacks.register(levelSpec, fn, criteria);
  }

  log(level: LevelName, message: string, extra?: Readonly<LogExtras>): void {
    if (this.closed) return;
    if (LEVELS[level] >= this.threshold) this.write(level, message, extra);
    else if (!this.callbacksBelowLevel) return;
    if (this.callbacks.has(level)) this.fireCallbacks(level, message, extra ?? NO_EXTRAS);
  }

  flush(): void {
    try {
      this.destination.flushSync?.();
    } catch {
      // Nothing buffered can be saved once the destination fails; writes already reported it.
    }
  }

  /** Flushes and releases the file (stdout and caller-supplied destinations stay open). */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.ownsDestination === 'file') (this.destination as RotatingFileDestination).close();
  }

  private write(level: LevelName, message: string, extra?: Readonly<LogExtras>): void {
    if (this.jsonWriter === undefined) {
      this.writeLine(this.textLine(level, message, extra));
    } else if (extra === undefined) {
      this.jsonWriter[PINO_METHOD[level]](NO_EXTRAS, message);
    } else if (hasReservedKey(extra)) {
      this.writeLine(this.jsonLine(level, message, extra));
    } else {
      this.jsonWriter[PINO_METHOD[level]](extra, message);
    }
  }

  private textLine(level: LevelName, message: string, extra: Readonly<LogExtras> | undefined): string {
    let line = `${localTime(Date.now())} [${this.name}] ${level}: ${message}`;
    if (this.includeExtra && extra !== undefined) {
      const shown: LogExtras = {};
      let any = false;
      for (const [key, value] of Object.entries(extra)) {
        if ((RESERVED as readonly string[]).includes(key)) continue;
        shown[key] = value;
        any = true;
      }
      if (any) line += ` ${pyDict(shown)}`;
    } else if (extra !== undefined) {
      line += keyExtras(extra);
    }
    return `${line}\n`;
  }

  /** The rare record whose extras name a field the logger adds: built by hand so no key is duplicated. */
  private jsonLine(level: LevelName, message: string, extra: Readonly<LogExtras>): string {
    const record: LogExtras = {};
    for (const [key, value] of Object.entries(extra)) if (key !== 'message') record[key] = value;
    record.level ??= level;
    record.timestamp ??= utcTimestamp(Date.now());
    record.logger ??= this.name;
    record.message = message;
    return `${safeJson(record)}\n`;
  }

  private writeLine(line: string): void {
    try {
      this.destination.write(line);
      this.writeFailing = false;
    } catch (err) {
      // Logging must never take the process down; say so once per run of failures.
      if (!this.writeFailing) process.stderr.write(`[${this.name}] cannot write log: ${errorMessage(err)}\n`);
      this.writeFailing = true;
    }
  }

  private fireCallbacks(level: LevelName, message: string, extras: Readonly<LogExtras>): void {
    for (const err of this.callbacks.fire(level, message, extras)) {
      this.write('ERROR', 'Log callback failed', { error: errorMessage(err), callback_level: level });
    }
  }
}

function hasReservedKey(extra: Readonly<LogExtras>): boolean {
  return (
    Object.hasOwn(extra, 'level') ||
    Object.hasOwn(extra, 'timestamp') ||
    Object.hasOwn(extra, 'logger') ||
    Object.hasOwn(extra, 'message')
  );
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** An independent logger (tests, tools); does not touch the process-wide instance. */
export function createLogger(options?: LoggerOptions): Logger {
  return new Logger(options);
}

let shared: Logger | undefined;

/**
 * The process-wide logger, as the original LogFactory: the first call's options create it and later calls
 * return the same instance whatever options they pass.
 */
export const LogFactory = {
  getInstance(options?: LoggerOptions): Logger {
    shared ??= new Logger(options);
    return shared;
  },
  /** Closes and forgets the process-wide logger so the next getInstance() builds a new one. */
  reset(): void {
    shared?.close();
    shared = undefined;
  },
};

/** Shorthand for LogFactory.getInstance(). */
export function getLogger(options?: LoggerOptions): Logger {
  return LogFactory.getInstance(options);
}
