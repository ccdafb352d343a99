-- Shared snippet: the crawl identity of a queue member. Members are flat feed objects from the Kafka
-- Monitor or serialized requests whose crawl fields live under `meta` (both shapes of the original).
-- Returns appid, crawlid, expires (number; 0 = never), or nil for a member that is not JSON.
local function crawl_fields(member)
  local ok, decoded = pcall(cjson.decode, member)
  if not ok or type(decoded) ~= 'table' then
    return nil
  end
  local fields = decoded
  if type(decoded.meta) == 'table' then
    fields = decoded.meta
  end
  return tostring(fields.appid), tostring(fields.crawlid), tonumber(fields.expires) or 0
end
