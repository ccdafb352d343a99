import type { Reply, ZMember } from './types.js';

// Conversions from raw RESP2 replies to the typed API's values.

export function asString(reply: Reply): string | null {
  if (reply === null) return null;
  return typeof reply === 'string' ? reply : String(reply);
}

export function asNumber(reply: Reply): number {
  if (typeof reply === 'number') return reply;
  if (typeof reply === 'string') return Number(reply);
  return 0;
}

export function asStrings(reply: Reply): string[] {
  return Array.isArray(reply) ? reply.map((r) => asString(r) ?? '') : [];
}

export function asNullableStrings(reply: Reply): (string | null)[] {
  return Array.isArray(reply) ? reply.map((r) => asString(r)) : [];
}

/** `[member, score, member, score, ...]` → members with numeric scores. */
export function asZMembers(reply: Reply): ZMember[] {
  const flat = asStrings(reply);
  const out: ZMember[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    out.push({ member: flat[i]!, score: parseScore(flat[i + 1]!) });
  }
  return out;
}

export function asRecord(reply: Reply): Record<string, string> {
  const flat = asStrings(reply);
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

export function parseScore(text: string): number {
  if (text === 'inf' || text === '+inf') return Infinity;
  if (text === '-inf') return -Infinity;
  return Number(text);
}

/** Score as Redis prints it. */
export function formatScore(score: number): string {
  if (score === Infinity) return 'inf';
  if (score === -Infinity) return '-inf';
  return String(score);
}
