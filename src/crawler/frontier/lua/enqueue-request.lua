-- Shared snippet: adds a request to its domain queue after the original's checks (blacklisted crawl,
-- expiry, duplicate filter, page limits), for enqueue.lua and lease-requeue.lua. Its keys and arguments
-- start after the caller's own: KEYS[k+1..k+5] and ARGV[a+1..a+11] are one request's five keys and eleven
-- values, in the order enqueue.lua's header gives. Returns queued, blacklisted, expired, duplicate, domain-limit or
-- global-limit.
--- @include "../../../core/queues/lua/fifo-score.lua"
-- What one script call learnt, so a call carrying many requests asks each thing once: the server
-- clock (one TIME; equal priorities still queue in arrival order, see fifo_score), crawls found stopped
-- or not, duplicate filters whose lifetime was renewed, queues known to exist (no announcement needed)
-- and the newest FIFO tick per queue and priority.
local enqueue_time
local enqueue_stopped = {}
local enqueue_renewed = {}
local enqueue_exists = {}
local enqueue_ticks = {}

local function enqueue_request(k, a)
  local crawl = KEYS[k + 3] .. ' ' .. ARGV[a + 3]
  local stopped = enqueue_stopped[crawl]
  if stopped == nil then
    stopped = redis.call('SISMEMBER', KEYS[k + 3], ARGV[a + 3]) == 1
    enqueue_stopped[crawl] = stopped
  end
  if stopped then
    return 'blacklisted'
  end
  enqueue_time = enqueue_time or redis.call('TIME')
  local expires = tonumber(ARGV[a + 4])
  if expires ~= 0 then
    if tonumber(enqueue_time[1]) + tonumber(enqueue_time[2]) / 1000000 > expires then
      return 'expired'
    end
  end
  if ARGV[a + 1] ~= '' then
    local added = redis.call('SADD', KEYS[k + 1], ARGV[a + 1])
    if not enqueue_renewed[KEYS[k + 1]] then
      redis.call('EXPIRE', KEYS[k + 1], ARGV[a + 2])
      enqueue_renewed[KEYS[k + 1]] = true
    end
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
  local queue = KEYS[k + 2]
  local announce = ARGV[a + 11] ~= nil and ARGV[a + 11] ~= '' and not enqueue_exists[queue]
    and redis.call('EXISTS', queue) == 0
  redis.call('ZADD', queue, fifo_score(queue, ARGV[a + 9], fifo_tick(enqueue_time), enqueue_ticks), ARGV[a + 10])
  enqueue_exists[queue] = true
  if announce then
    redis.call('PUBLISH', ARGV[a + 11], queue)
  end
  return 'queued'
end
