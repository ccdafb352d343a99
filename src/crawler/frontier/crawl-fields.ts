/** The crawl identity of a queue member, flat feed object or serialized request (twin of crawl-fields.lua). */
export function crawlFields(member: string): { appid: string; crawlid: string; expires: number } | null {
  let decoded: unknown;
  try {
    decoded = JSON.parse(member);
  } catch {
    return null;
  }
  if (!decoded || typeof decoded !== 'object' || Array.isArray(decoded)) return null;
  const record = decoded as Record<string, unknown>;
  const meta = record.meta;
  const fields =
    meta && typeof meta === 'object' && !Array.isArray(meta) ? (meta as Record<string, unknown>) : record;
  return {
    appid: String(fields.appid),
    crawlid: String(fields.crawlid),
    expires: Number(fields.expires) || 0,
  };
}
