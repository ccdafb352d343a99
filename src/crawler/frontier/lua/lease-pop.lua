-- Leases the next request of a domain queue when the cluster-wide throttle allows it: the request moves
-- from the queue into the lease table in the same step, so a crawler that dies loses nothing (its leases
-- expire and go back to the queue). Requests of stopped (blacklisted) or expired crawls met at the head
-- of the queue are dropped without using a throttle slot.
--
-- KEYS[1]  throttle window key, `<throttle name>:throttle_window`
-- KEYS[2]  throttle moderation key, `<throttle name>:throttle_time`
-- KEYS[3]  the domain queue, `<spiderid>:<domain>:queue`
-- KEYS[4]  lease records, `<spiderid>:leased` (hash: lease id -> JSON record)
-- KEYS[5]  lease expiries, `<spiderid>:leases` (sorted set: lease id -> expiry, seconds)
-- KEYS[6]  crawl blacklist, `<spiderid>:blacklist` (set of `appid||crawlid`)
-- KEYS[7]  attempts, `<spiderid>:attempts` (hash: SHA1 of a queue member -> leases of it that ended with
--          no outcome: the crawler died, or hit an unexpected error)
-- KEYS[8]  the domain's hold, `<throttle name>:hold` (epoch seconds until which the site asked every
--          crawler to wait: a 429 or 503 with Retry-After)
-- ARGV[1..6]  throttle: window, limit, moderate, elastic, elastic buffer, elastic ready (1/0 flags)
-- ARGV[7]  unique id for the throttle hit
-- ARGV[8]  lease id
-- ARGV[9]  owner (crawler id)
-- ARGV[10] lease length in seconds
-- Returns {status, value, now, dropped, score, left, attempts, attempts field}:
--   ok        value = the leased member, score = its queue score (text), left = requests still queued,
--             attempts = earlier leases of it that ended with no outcome, and when there were any, its
--             field in KEYS[7] (the acknowledgement clears it)
--   empty     the queue has nothing crawlable
--   throttled / moderated   value = seconds until a lease may be allowed (-1 = never)
--   held      value = seconds until the domain's hold ends
--   dropped   counts requests of stopped or expired crawls removed from the head of the queue
--- @include "../../../core/throttle/lua/throttle-decide.lua"
--- @include "../../../core/wire/lua/crawl-fields.lua"
local now = throttle_now()
local now_text = string.format('%.6f', now)
local opts = throttle_opts(1)
local dropped = 0

if opts.limit <= 0 then
  return {'throttled', '-1', now_text, 0, ''}
end

local head
while true do
  head = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  if not head[1] then
    return {'empty', '0', now_text, dropped, ''}
  end
  local appid, crawlid, expires = crawl_fields(head[1])
  local stopped = appid ~= nil and redis.call('SISMEMBER', KEYS[6], appid .. '||' .. crawlid) == 1
  local expired = appid ~= nil and expires ~= 0 and now > expires
  if not stopped and not expired then
    break
  end
  redis.call('ZREM', KEYS[3], head[1])
  dropped = dropped + 1
  if dropped >= 100 then
    -- Bounded work per call; the caller simply asks again.
    return {'empty', '0', now_text, dropped, ''}
  end
end

local hold = tonumber(redis.call('GET', KEYS[8]) or '0') or 0
if hold > now then
  return {'held', string.format('%.6f', hold - now), now_text, dropped, ''}
end

local denied = throttle_check(KEYS[1], KEYS[2], now, opts)
if denied then
  return {denied[1], denied[2], now_text, dropped, ''}
end
throttle_record(KEYS[1], KEYS[2], now, opts, ARGV[7])

local expiry = now + tonumber(ARGV[10])
redis.call('ZREM', KEYS[3], head[1])
redis.call('HSET', KEYS[4], ARGV[8], cjson.encode({
  queue = KEYS[3], score = head[2], item = head[1], owner = ARGV[9], expires = expiry,
}))
redis.call('ZADD', KEYS[5], string.format('%.6f', expiry), ARGV[8])
local field = redis.sha1hex(head[1])
local attempts = tonumber(redis.call('HGET', KEYS[7], field) or '0')
return {'ok', head[1], now_text, dropped, head[2], redis.call('ZCARD', KEYS[3]), attempts, attempts > 0 and field or ''}
