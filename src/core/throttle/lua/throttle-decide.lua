-- Shared snippet: the throttle decision of a rate-limited queue, on the Redis server clock.
-- The window keeps hits while score >= now - window, so no closed window-long interval ever holds more
-- than `limit` hits. With moderation, consecutive hits are at least window/limit seconds apart; with
-- elastic catch-up, a warmed-up queue whose window has spare room beyond the buffer may skip the spacing.

local function throttle_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end

-- Returns nil when a hit is allowed now, else {status, seconds until it may be}.
-- `opts` = {window, limit, moderate (bool), elastic (bool), buffer, ready (bool)}
local function throttle_check(window_key, mod_key, now, opts)
  if opts.limit <= 0 then
    return {'throttled', '-1'}
  end
  redis.call('ZREMRANGEBYSCORE', window_key, '-inf', '(' .. string.format('%.6f', now - opts.window))
  local count = redis.call('ZCARD', window_key)
  if count >= opts.limit then
    local oldest = redis.call('ZRANGE', window_key, 0, 0, 'WITHSCORES')
    return {'throttled', string.format('%.6f', tonumber(oldest[2]) + opts.window - now)}
  end
  if opts.moderate and opts.limit > 1 then
    local last = tonumber(redis.call('GET', mod_key) or '0') or 0
    local wait = last + opts.window / opts.limit - now
    if wait > 0 and not (opts.elastic and opts.ready and (opts.limit - count) > opts.buffer) then
      return {'moderated', string.format('%.6f', wait)}
    end
  end
  return nil
end

-- Records an allowed hit at `now` (and the moderation time when moderated).
local function throttle_record(window_key, mod_key, now, opts, hit_id)
  local now_text = string.format('%.6f', now)
  local ttl = math.max(1, math.floor(opts.window * 2))
  if opts.moderate and opts.limit > 1 then
    redis.call('SET', mod_key, now_text, 'EX', ttl)
  end
  redis.call('ZADD', window_key, now_text, now_text .. ':' .. hit_id)
  redis.call('EXPIRE', window_key, ttl)
end

-- Reads the throttle options from ARGV[first .. first+5]:
-- window, limit, moderate (1/0), elastic (1/0), elastic buffer, elastic ready (1/0).
local function throttle_opts(first)
  return {
    window = tonumber(ARGV[first]),
    limit = tonumber(ARGV[first + 1]),
    moderate = ARGV[first + 2] == '1',
    elastic = ARGV[first + 3] == '1',
    buffer = tonumber(ARGV[first + 4]),
    ready = ARGV[first + 5] == '1',
  }
end
