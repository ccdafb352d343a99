-- Adds a request found by a spider to its domain queue after the original's checks, atomically
-- (the original ran them as separate commands, so concurrent crawlers could overshoot page limits).
-- KEYS[1]  duplicate filter, `<spiderid>:dupefilter:<crawlid>` (set of request fingerprints)
-- KEYS[2]  the queue, `<meta.spiderid>:<domain>:queue`
-- KEYS[3]  crawl blacklist, `<spiderid>:blacklist`
-- KEYS[4]  per-domain page counter, `<spiderid>:domain_max_page_filter:<domain>:<crawlid>`
-- KEYS[5]  global page counter, `<spiderid>:global_page_count_filter:<domain>:<crawlid>`
-- ARGV[1]  request fingerprint, or empty to skip the duplicate filter and page limits (retries)
-- ARGV[2]  duplicate filter lifetime, seconds
-- ARGV[3]  `appid||crawlid`
-- ARGV[4]  crawl expiry, epoch seconds (0 = never)
-- ARGV[5]  domain_max_pages (0 = no limit)
-- ARGV[6]  per-domain counter lifetime, seconds
-- ARGV[7]  GLOBAL_PAGE_PER_DOMAIN_LIMIT (0 = no limit)
-- ARGV[8]  global counter lifetime, seconds
-- ARGV[9]  priority
-- ARGV[10] the member (serialized request)
-- ARGV[11] channel to publish KEYS[2] on when this call creates the queue (optional; empty = none)
-- Returns queued, blacklisted, expired, duplicate, domain-limit or global-limit.
--- @include "../../../core/queues/lua/fifo-score.lua"
if redis.call('SISMEMBER', KEYS[3], ARGV[3]) == 1 then
  return 'blacklisted'
end
local expires = tonumber(ARGV[4])
if expires ~= 0 then
  local t = redis.call('TIME')
  if tonumber(t[1]) + tonumber(t[2]) / 1000000 > expires then
    return 'expired'
  end
end
if ARGV[1] ~= '' then
  local added = redis.call('SADD', KEYS[1], ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  if added == 0 then
    return 'duplicate'
  end
  -- A limit of N lets N - 1 follow-up requests through: with the seed page, N pages (the original's rule).
  local limit = tonumber(ARGV[5])
  if limit > 0 then
    local count = redis.call('INCR', KEYS[4])
    redis.call('EXPIRE', KEYS[4], ARGV[6])
    if count >= limit then
      return 'domain-limit'
    end
  end
  limit = tonumber(ARGV[7])
  if limit > 0 then
    local count = redis.call('INCR', KEYS[5])
    redis.call('EXPIRE', KEYS[5], ARGV[8])
    if count >= limit then
      return 'global-limit'
    end
  end
end
local announce = ARGV[11] ~= nil and ARGV[11] ~= '' and redis.call('EXISTS', KEYS[2]) == 0
redis.call('ZADD', KEYS[2], fifo_score(KEYS[2], ARGV[9], fifo_now_tick()), ARGV[10])
if announce then
  redis.call('PUBLISH', ARGV[11], KEYS[2])
end
return 'queued'
