-- Ends a lease once its page was published (or finally failed), and counts the outcome for the crawl.
-- KEYS[1]  lease records, `<spiderid>:leased`
-- KEYS[2]  lease expiries, `<spiderid>:leases`
-- KEYS[3]  per-crawl accounting, `crawlstats:<spiderid>:<appid>:<crawlid>` (hash)
-- ARGV[1]  lease id
-- ARGV[2]  outcome field to increment: published, failed, or empty for none (a retry was queued)
-- ARGV[3]  seconds the accounting hash is kept after its last change
-- Returns 1 when the lease was still held, 0 when it had expired and gone back to the queue.
local held = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] ~= '' then
  redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
  redis.call('EXPIRE', KEYS[3], ARGV[3])
end
return held
