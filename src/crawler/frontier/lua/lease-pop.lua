-- Leases the next request of several domain queues in one call, each when its domain's cluster-wide
-- throttle allows it: the request moves from the queue into the lease table in the same step, so a crawler
-- that dies loses nothing (its leases expire and go back to the queue). Requests of stopped (blacklisted)
-- or expired crawls met at the head of a queue are dropped without using a throttle slot. One call per
-- crawl-loop turn, whatever the number of queues asked (a queue may be asked more than once).
--
-- KEYS[1]  lease records, `<spiderid>:leased` (hash: lease id -> JSON record)
-- KEYS[2]  lease expiries, `<spiderid>:leases` (sorted set: lease id -> expiry, seconds)
-- KEYS[3]  crawl blacklist, `<spiderid>:blacklist` (set of `appid||crawlid`)
-- KEYS[4]  attempts, `<spiderid>:attempts` (hash: SHA1 of a queue member -> leases of it that ended with
--          no outcome: the crawler died, or hit an unexpected error)
-- KEYS[5..]  per attempt, four keys: the throttle window `<throttle name>:throttle_window`, the throttle
--          moderation key `<throttle name>:throttle_time`, the domain queue `<spiderid>:<domain>:queue`,
--          the domain's hold `<throttle name>:hold` (epoch seconds until which the site asked every
--          crawler to wait: a 429 or 503 with Retry-After)
-- ARGV[1]  owner (crawler id)
-- ARGV[2]  lease length in seconds
-- ARGV[3..]  per attempt, eight values: throttle window, limit, moderate, elastic, elastic buffer, elastic
--          ready (1/0 flags); unique id for the throttle hit; lease id
-- Returns one reply per attempt, {status, value, now, dropped, score, left, attempts, attempts field}:
--   ok        value = the leased member, score = its queue score (text), left = 1 when more requests are
--             queued, else 0,
--             attempts = earlier leases of it that ended with no outcome, and when there were any, its
--             field in KEYS[4] (the acknowledgement clears it)
--   empty     the queue has nothing crawlable
--   throttled / moderated   value = seconds until a lease may be allowed (-1 = never)
--   held      value = seconds until the domain's hold ends
--   dropped   counts requests of stopped or expired crawls removed from the head of the queue
--- @include "../../../core/throttle/lua/throttle-decide.lua"
--- @include "../../../core/wire/lua/crawl-fields.lua"
local now = throttle_now()
local now_text = string.format('%.6f', now)
-- Whether any request has earlier attempts on record (asked once per call: usually none has), and the
-- crawls found stopped or not in this call.
local any_attempts
local stopped_crawls = {}

-- One attempt: its keys are KEYS[k + 1..4], its arguments ARGV[a + 1..8].
local function lease_one(k, a)
  local window_key, mod_key, queue, hold_key = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  local opts = throttle_opts(a + 1)
  local dropped = 0
  if opts.limit <= 0 then
    return {'throttled', '-1', now_text, 0, ''}
  end
  local head
  while true do
    -- The head and the one after it (which says whether the queue empties).
    head = redis.call('ZRANGE', queue, 0, 1, 'WITHSCORES')
    if not head[1] then
      return {'empty', '0', now_text, dropped, ''}
    end
    local appid, crawlid, expires = crawl_fields(head[1])
    local stopped = false
    if appid ~= nil then
      local crawl = appid .. '||' .. crawlid
      stopped = stopped_crawls[crawl]
      if stopped == nil then
        stopped = redis.call('SISMEMBER', KEYS[3], crawl) == 1
        stopped_crawls[crawl] = stopped
      end
    end
    local expired = appid ~= nil and expires ~= 0 and now > expires
    if not stopped and not expired then
      break
    end
    redis.call('ZREM', queue, head[1])
    dropped = dropped + 1
    if dropped >= 100 then
      -- Bounded work per attempt; the caller simply asks again.
      return {'empty', '0', now_text, dropped, ''}
    end
  end
  local hold = tonumber(redis.call('GET', hold_key) or '0') or 0
  if hold > now then
    return {'held', string.format('%.6f', hold - now), now_text, dropped, ''}
  end
  local denied = throttle_check(window_key, mod_key, now, opts)
  if denied then
    return {denied[1], denied[2], now_text, dropped, ''}
  end
  throttle_record(window_key, mod_key, now, opts, ARGV[a + 7])
  local expiry = now + tonumber(ARGV[2])
  redis.call('ZREM', queue, head[1])
  redis.call('HSET', KEYS[1], ARGV[a + 8], cjson.encode({
    queue = queue, score = head[2], item = head[1], owner = ARGV[1], expires = expiry,
  }))
  redis.call('ZADD', KEYS[2], string.format('%.6f', expiry), ARGV[a + 8])
  if any_attempts == nil then
    any_attempts = redis.call('EXISTS', KEYS[4]) == 1
  end
  local field, attempts = '', 0
  if any_attempts then
    field = redis.sha1hex(head[1])
    attempts = tonumber(redis.call('HGET', KEYS[4], field) or '0')
  end
  return {'ok', head[1], now_text, dropped, head[2], head[3] and 1 or 0, attempts, attempts > 0 and field or ''}
end

local replies = {}
for i = 0, (#KEYS - 4) / 4 - 1 do
  replies[i + 1] = lease_one(4 + i * 4, 2 + i * 8)
end
return replies
