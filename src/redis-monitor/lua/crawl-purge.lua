-- One bounded slice of a stop or expire over one crawl queue: removes the crawl's members among about
-- ARGV[2] members read with ZSCAN (which keeps its guarantees while members are removed). The caller
-- repeats with the returned cursor. Members are matched like crawl-tally.lua: top-level appid and
-- crawlid, or those of a `meta` object.
--
-- KEYS[1]  crawl queue, `<spiderid>:<domain>:queue` (sorted set)
-- ARGV[1]  ZSCAN cursor, '0' to start
-- ARGV[2]  ZSCAN COUNT hint: members to read in this call
-- ARGV[3]  appid
-- ARGV[4]  crawlid
-- ARGV[5]  '1' when appid and crawlid, quoted, appear verbatim in the JSON of every matching member,
--          so members lacking them are skipped without decoding; else '0'
-- Returns {next cursor ('0' when the queue is done), scanned, removed}.
local appid, crawlid, literal = ARGV[3], ARGV[4], ARGV[5] == '1'
local quotedApp, quotedCrawl = '"' .. appid .. '"', '"' .. crawlid .. '"'
local page = redis.call('ZSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local members = page[2]
local doomed = {}

for i = 1, #members, 2 do
  local raw = members[i]
  if not literal or (string.find(raw, quotedApp, 1, true) and string.find(raw, quotedCrawl, 1, true)) then
    local ok, item = pcall(cjson.decode, raw)
    if ok and type(item) == 'table' then
      if type(item.meta) == 'table' then item = item.meta end
      if item.appid == appid and item.crawlid == crawlid then doomed[#doomed + 1] = raw end
    end
  end
end

local removed = 0
for i = 1, #doomed, 500 do
  removed = removed + redis.call('ZREM', KEYS[1], unpack(doomed, i, math.min(i + 499, #doomed)))
end
return { page[1], #members / 2, removed }
