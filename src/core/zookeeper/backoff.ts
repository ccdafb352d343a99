/**
 * Delay before reconnect attempt `attempt` (0-based): doubles from `initialMs` up to `maxMs`, with up to
 * 20 % jitter so that many crawlers losing the same server do not reconnect in lock-step.
 */
export function backoffDelay(
  attempt: number,
  options: { initialMs?: number; maxMs?: number; random?: () => number } = {},
): number {
  const initial = options.initialMs ?? 250;
  const max = options.maxMs ?? 5000;
  const random = options.random ?? Math.random;
  const base = Math.min(max, initial * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(base * (1 - 0.2 * random()));
}
