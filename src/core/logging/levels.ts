/** Log levels in ascending severity, numbered like the original LogObject. */
export const LEVELS = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3, CRITICAL: 4 } as const;

export type LevelName = keyof typeof LEVELS;

export const LEVEL_NAMES: readonly LevelName[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];

/** Resolves a level name in any case; WARN is an alias of WARNING. Unknown names give undefined. */
export function parseLevel(name: string): LevelName | undefined {
  const upper = name.trim().toUpperCase();
  if (upper === 'WARN') return 'WARNING';
  return Object.hasOwn(LEVELS, upper) ? (upper as LevelName) : undefined;
}
