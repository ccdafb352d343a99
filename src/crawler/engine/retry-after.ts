/**
 * The seconds a `Retry-After` header asks to wait (RFC 9110 §10.2.3): delay-seconds, or an HTTP date
 * (seconds from `nowMs`, 0 when it is past). Undefined for a missing or unreadable value.
 */
export function retryAfterSeconds(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // An HTTP date names its weekday and its zone: anything else Date.parse would guess at is refused.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}
