-- Shared snippet: adds a request to its domain queue after the original's checks (blacklisted crawl,
-- expiry, duplicate filter, page limits), for enqueue.lua and lease-requeue.lua. Its keys and arguments
-- start after the caller's own: KEYS[k+1..k+5] and ARGV[a+1..a+11] are enqueue.lua's KEYS[1..5] and
-- ARGV[1..11] (see its header). Returns queued, blacklisted, expired, duplicate, domain-limit or
-- global-limit.
--- @include "../../../core/queues/lua/fifo-score.lua"
local function enqueue_request(k, a)
  if redis.call('SISMEMBER', KEYS[k + 3], ARGV[a + 3]) == 1 then
    return 'blacklisted'
  end
  local expires = tonumber(ARGV[a + 4])
  if expires ~= 0 then
    local t = redis.call('TIME')
    if tonumber(t[1]) + tonumber(t[2]) / 1000000 > expires then
      return 'expired'
    end
  end
  if ARGV[a + 1] ~= '' then
    local added = redis.call('SADD', KEYS[k + 1], ARGV[a + 1])
    redis.call('EXPIRE', KEYS[k + 1], ARGV[a + 2])
    if added == 0 then
      return 'duplicate'
    end
    -- A limit of N lets N - 1 follow-up requests through: with the seed page, N pages (the original's rule).
    local limit = tonumber(ARGV[a + 5])
    if limit > 0 then
      local count = redis.call('INCR', KEYS[k + 4])
      redis.call('EXPIRE', KEYS[k + 4], ARGV[a + 6])
      if count >= limit then
        return 'domain-limit'
      end
    end
    limit = tonumber(ARGV[a + 7])
    if limit > 0 then
      local count = redis.call('INCR', KEYS[k + 5])
      redis.call('EXPIRE', KEYS[k + 5], ARGV[a + 8])
      if count >= limit then
        return 'global-limit'
      end
    end
  end
  local announce = ARGV[a + 11] ~= nil and ARGV[a + 11] ~= '' and redis.call('EXISTS', KEYS[k + 2]) == 0
  redis.call('ZADD', KEYS[k + 2], fifo_score(KEYS[k + 2], ARGV[a + 9], fifo_now_tick()), ARGV[a + 10])
  if announce then
    redis.call('PUBLISH', ARGV[a + 11], KEYS[k + 2])
  end
  return 'queued'
end
