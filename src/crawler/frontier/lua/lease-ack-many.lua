-- Ends many leases at once: the crawler gathers the acknowledgements of the
-- pages Kafka confirmed together and sends them in one call. Outcomes are counted per crawl.
-- KEYS[1]     lease records, `<spiderid>:leased`
-- KEYS[2]     lease expiries, `<spiderid>:leases`
-- KEYS[3]     attempts, `<spiderid>:attempts` (hash: SHA1 of a queue member -> leases with no outcome)
-- KEYS[4..]   per-crawl accounting hashes, `crawlstats:<spiderid>:<appid>:<crawlid>`
-- ARGV[1]     seconds an accounting hash is kept after its last change
-- ARGV[2..]   per lease, four values: lease id; outcome field (published, failed, or empty for none);
--             index in KEYS of its accounting hash; its field in KEYS[3] to clear, or empty when the
--             request had no earlier attempts
-- Returns one number per lease: 1 when it was still held, 0 when it had expired and gone back to a queue.
local held = {}
local counts = {}
local n = 0
for i = 2, #ARGV, 4 do
  n = n + 1
  held[n] = redis.call('HDEL', KEYS[1], ARGV[i])
  redis.call('ZREM', KEYS[2], ARGV[i])
  if ARGV[i + 3] ~= '' then
    redis.call('HDEL', KEYS[3], ARGV[i + 3])
  end
  local outcome = ARGV[i + 1]
  if outcome ~= '' then
    local field = ARGV[i + 2] .. ' ' .. outcome
    counts[field] = (counts[field] or 0) + 1
  end
end
for field, count in pairs(counts) do
  local space = string.find(field, ' ', 1, true)
  local stats = KEYS[tonumber(string.sub(field, 1, space - 1))]
  redis.call('HINCRBY', stats, string.sub(field, space + 1), count)
  redis.call('EXPIRE', stats, ARGV[1])
end
return held
