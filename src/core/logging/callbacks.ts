import { isDeepStrictEqual } from 'node:util';
import { LEVEL_NAMES, LEVELS, parseLevel, type LevelName } from './levels.js';

export type LogExtras = Record<string, unknown>;

/** Receives the message and the extras exactly as the caller passed them (`{}` when none). */
export type LogCallback = (message: string, extras: Readonly<LogExtras>) => void;

/**
 * The levels a spec covers: `INFO` / `=INFO` (exactly), `<INFO`, `<=INFO`, `>INFO`, `>=INFO`, or `*`.
 * Throws on an unknown level name.
 */
export function parseLevelSpec(spec: string): LevelName[] {
  const text = spec.trim();
  if (text === '*') return [...LEVEL_NAMES];
  const match = /^(<=|>=|<|>|=)?\s*(\w+)$/.exec(text);
  const level = match?.[2] === undefined ? undefined : parseLevel(match[2]);
  if (match === null || level === undefined) throw new Error(`Unknown log level spec '${spec}'`);
  const n = LEVELS[level];
  const keep: Record<string, (m: number) => boolean> = {
    '<=': (m) => m <= n,
    '<': (m) => m < n,
    '>=': (m) => m >= n,
    '>': (m) => m > n,
  };
  const test = keep[match[1] ?? '='] ?? ((m: number) => m === n);
  return LEVEL_NAMES.filter((name) => test(LEVELS[name]));
}

/** True when every key of `criteria` is in `extras` with a deep-equal value. */
export function matchesCriteria(criteria: Readonly<LogExtras>, extras: Readonly<LogExtras>): boolean {
  return Object.entries(criteria).every(
    ([key, value]) => Object.hasOwn(extras, key) && isDeepStrictEqual(extras[key], value),
  );
}

interface Registration {
  readonly fn: LogCallback;
  readonly criteria: Readonly<LogExtras> | undefined;
}

/** Callbacks per level, in registration order (the original LogCallbackHandler). */
export class CallbackRegistry {
  private readonly byLevel = new Map<LevelName, Registration[]>();

  register(spec: string, fn: LogCallback, criteria?: Readonly<LogExtras>): void {
    const registration = {
      fn,
      criteria: criteria && Object.keys(criteria).length > 0 ? criteria : undefined,
    };
    for (const level of parseLevelSpec(spec)) {
      const list = this.byLevel.get(level) ?? [];
      list.push(registration);
      this.byLevel.set(level, list);
    }
  }

  has(level: LevelName): boolean {
    return this.byLevel.has(level);
  }

  /** Calls the matching callbacks; returns the errors they threw so the caller can report them. */
  fire(level: LevelName, message: string, extras: Readonly<LogExtras>): unknown[] {
    const list = this.byLevel.get(level);
    if (list === undefined) return [];
    const errors: unknown[] = [];
    for (const { fn, criteria } of list) {
      if (criteria !== undefined && !matchesCriteria(criteria, extras)) continue;
      try {
        fn(message, extras);
      } catch (err) {
        errors.push(err);
      }
    }
    return errors;
  }
}
