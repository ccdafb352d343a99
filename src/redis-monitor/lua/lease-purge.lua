-- One bounded slice of a stop or expire over a spider's leased (in-flight) requests: removes the
-- crawl's leases among about ARGV[2] read with HSCAN, from the lease hash and from the expiry index.
-- A lease value is JSON {"queue", "score", "item", "owner", "expires"} where `item` is the queue member
-- (a JSON string, or an already decoded object) matched like crawl-purge.lua.
--
-- KEYS[1]  `<spiderid>:leased` (hash: lease id -> lease JSON)
-- KEYS[2]  `<spiderid>:leases` (sorted set: lease id by expiry)
-- ARGV[1]  HSCAN cursor, '0' to start
-- ARGV[2]  HSCAN COUNT hint
-- ARGV[3]  appid
-- ARGV[4]  crawlid
-- ARGV[5]  '1' when appid and crawlid appear verbatim in every matching lease's JSON; else '0'
-- Returns {next cursor ('0' when done), scanned, removed}.
local appid, crawlid, literal = ARGV[3], ARGV[4], ARGV[5] == '1'
local page = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local fields = page[2]
local doomed = {}

for i = 1, #fields, 2 do
  local id, raw = fields[i], fields[i + 1]
  if not literal or (string.find(raw, appid, 1, true) and string.find(raw, crawlid, 1, true)) then
    local ok, lease = pcall(cjson.decode, raw)
    if ok and type(lease) == 'table' then
      local item = lease.item
      if type(item) == 'string' then
        ok, item = pcall(cjson.decode, item)
        if not ok then item = nil end
      end
      if type(item) == 'table' then
        if type(item.meta) == 'table' then item = item.meta end
        if item.appid == appid and item.crawlid == crawlid then doomed[#doomed + 1] = id end
      end
    end
  end
end

local removed = 0
for i = 1, #doomed, 500 do
  local last = math.min(i + 499, #doomed)
  removed = removed + redis.call('HDEL', KEYS[1], unpack(doomed, i, last))
  redis.call('ZREM', KEYS[2], unpack(doomed, i, last))
end
return { page[1], #fields / 2, removed }
