-- One bounded slice of an info request over one crawl queue. ZSCAN reads about ARGV[2] members, so a
-- call stays short however long the queue is; the caller repeats with the returned cursor. Members are
-- JSON: a flat feed object (appid, crawlid, priority, expires at the top level) or a serialized request
-- whose `meta` object holds those fields.
--
-- KEYS[1]  crawl queue, `<spiderid>:<domain>:queue` (sorted set)
-- ARGV[1]  ZSCAN cursor, '0' to start
-- ARGV[2]  ZSCAN COUNT hint: members to read in this call
-- ARGV[3]  appid
-- ARGV[4]  crawlid, or '' for every crawl of the appid
-- ARGV[5]  '1' when appid and crawlid, quoted, appear verbatim in the JSON of every matching member
--          (no characters JSON escapes), so members lacking them are skipped without decoding; else '0'
-- Returns {next cursor ('0' when the queue is done), scanned,
--          crawlid, total, high priority, low priority, expires, crawlid, ...}: one group per crawlid
-- of the appid seen in this slice, ordered by crawlid (bytewise). Priorities and expires are strings
-- ('' when absent or not numbers); expires is the latest (largest) non-zero `expires` among the group's
-- members, the time until which some queued request of the crawl stays live. Nothing in the reply
-- depends on the order ZSCAN returns the slice's members in.
local appid, crawlid, literal = ARGV[3], ARGV[4], ARGV[5] == '1'
local quotedApp, quotedCrawl = '"' .. appid .. '"', '"' .. crawlid .. '"'
local page = redis.call('ZSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local members = page[2]
local groups, order = {}, {}

-- Bytewise string order: Lua's `<` on strings follows the server's LC_COLLATE.
local function before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

for i = 1, #members, 2 do
  local raw = members[i]
  if not literal
    or (string.find(raw, quotedApp, 1, true) and (crawlid == '' or string.find(raw, quotedCrawl, 1, true))) then
    local ok, item = pcall(cjson.decode, raw)
    if ok and type(item) == 'table' then
      if type(item.meta) == 'table' then item = item.meta end
      local cid = item.crawlid
      if item.appid == appid and type(cid) == 'string' and (crawlid == '' or cid == crawlid) then
        local g = groups[cid]
        if not g then
          g = { total = 0 }
          groups[cid] = g
          order[#order + 1] = cid
        end
        g.total = g.total + 1
        local e = item.expires
        if type(e) == 'number' and e ~= 0 and (g.expires == nil or e > g.expires) then g.expires = e end
        local p = item.priority
        if type(p) == 'number' then
          if g.high == nil or p > g.high then g.high = p end
          if g.low == nil or p < g.low then g.low = p end
        end
      end
    end
  end
end

table.sort(order, before)
local out = { page[1], #members / 2 }
for _, cid in ipairs(order) do
  local g = groups[cid]
  out[#out + 1] = cid
  out[#out + 1] = g.total
  out[#out + 1] = g.high and tostring(g.high) or ''
  out[#out + 1] = g.low and tostring(g.low) or ''
  out[#out + 1] = g.expires and tostring(g.expires) or ''
end
return out
