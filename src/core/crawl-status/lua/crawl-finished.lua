-- Records the queues a crawl's requests went to, and tells whether the crawl is finished: none of its
-- requests in those queues and none leased. With mode 'claim', a finished crawl is marked so it is
-- announced once however many crawlers ask; the marker lives as long as the crawl's accounting.
-- KEYS[1]  lease records, `<spiderid>:leased` (hash: id -> {queue, item, ...}, one per request in work)
-- KEYS[2]  the crawl's queues, `crawlqueues:<spiderid>:<appid>:<crawlid>` (set of queue keys)
-- KEYS[3]  the crawl's accounting, `crawlstats:<spiderid>:<appid>:<crawlid>` (hash)
-- KEYS[4]  the announcement marker, `crawlfinished:<spiderid>:<appid>:<crawlid>`
-- ARGV[1]  appid
-- ARGV[2]  crawlid
-- ARGV[3]  mode: 'record' (only add the queues), 'check', or 'claim'
-- ARGV[4]  most members read from one queue; a longer non-empty queue answers 'unknown'
-- ARGV[5]  most members read in all; past it the answer is 'unknown' (bounds the script's run time)
-- ARGV[6]  seconds the queue set and the marker live
-- ARGV[7..] queue keys to add to the crawl's queue set
-- Returns {'recorded'}, {'announced'} (marker already set), {'unknown'}, {'pending', n},
-- {'idle'} (mode check, nothing pending), or {'finished', field, value, ...} (the accounting hash).
--- @include "../../wire/lua/crawl-fields.lua"
local appid, crawlid, mode = ARGV[1], ARGV[2], ARGV[3]
local ttl = tonumber(ARGV[6])
if #ARGV >= 7 then
  for i = 7, #ARGV do
    redis.call('SADD', KEYS[2], ARGV[i])
  end
  redis.call('EXPIRE', KEYS[2], ttl)
end
if mode == 'record' then
  return { 'recorded' }
end
if redis.call('EXISTS', KEYS[4]) == 1 then
  return { 'announced' }
end
local function ours(member)
  local a, c = crawl_fields(member)
  return a == appid and c == crawlid
end
local pending = 0
local leased = redis.call('HGETALL', KEYS[1])
for i = 2, #leased, 2 do
  local ok, record = pcall(cjson.decode, leased[i])
  if ok and type(record) == 'table' and type(record.item) == 'string' and ours(record.item) then
    pending = pending + 1
  end
end
local limit, budget = tonumber(ARGV[4]), tonumber(ARGV[5])
local queues = redis.call('SMEMBERS', KEYS[2])
for _, queue in ipairs(queues) do
  local size = redis.call('ZCARD', queue)
  budget = budget - size
  if size > limit or budget < 0 then
    return { 'unknown' }
  end
  if size > 0 then
    for _, member in ipairs(redis.call('ZRANGE', queue, 0, -1)) do
      if ours(member) then
        pending = pending + 1
      end
    end
  end
end
if pending > 0 then
  return { 'pending', pending }
end
if mode ~= 'claim' then
  return { 'idle' }
end
redis.call('SET', KEYS[4], '1', 'EX', ttl)
local reply = redis.call('HGETALL', KEYS[3])
table.insert(reply, 1, 'finished')
return reply
