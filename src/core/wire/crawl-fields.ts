/**
 * The crawl fields of a queue member: the member itself (a flat feed object from a Kafka Monitor) or its
 * `meta` object (a serialized request). `anyMetaTable` follows the Redis Monitor's Lua, where any `meta`
 * table, even a JSON array (which then matches nothing), replaces the member; the frontier's Lua takes
 * `meta` only when it is an object.
 */
export function crawlRecord(
  raw: unknown,
  options: { anyMetaTable?: boolean } = {},
): Record<string, unknown> | undefined {
  let decoded: unknown = raw;
  if (typeof decoded === 'string') {
    try {
      decoded = JSON.parse(decoded);
    } catch {
      return undefined;
    }
  }
  if (!decoded || typeof decoded !== 'object' || Array.isArray(decoded)) return undefined;
  const record = decoded as Record<string, unknown>;
  const meta = record.meta;
  if (typeof meta !== 'object' || meta === null) return record;
  return Array.isArray(meta) && !options.anyMetaTable ? record : (meta as Record<string, unknown>);
}

/** The crawl identity of a queue member, flat feed object or serialized request (twin of crawl-fields.lua). */
export function crawlFields(member: string): { appid: string; crawlid: string; expires: number } | null {
  const fields = crawlRecord(member);
  if (!fields) return null;
  return {
    appid: String(fields.appid),
    crawlid: String(fields.crawlid),
    expires: Number(fields.expires) || 0,
  };
}
