-- Decides whether a throttled queue may pop now and pops in the same step, so the limit holds exactly
-- across any number of processes and machines. Uses the Redis server clock, never the client's.
--
-- A hit is recorded only when an item is actually popped: an empty queue consumes no slot.
-- The window keeps hits while score >= now - window, so no closed window-long interval ever holds more
-- than `limit` pops. With moderation, consecutive pops are at least window/limit seconds apart; with
-- elastic catch-up, a queue whose window has spare room beyond the buffer may skip the spacing.
--
-- KEYS[1]  window key, `<name>:throttle_window` (sorted set of hit times, seconds)
-- KEYS[2]  moderation key, `<name>:throttle_time` (time of the last moderated pop, seconds)
-- KEYS[3]  the queue
-- ARGV[1]  window length in seconds
-- ARGV[2]  limit: pops allowed per window (0 = never pop)
-- ARGV[3]  1 to moderate (space pops evenly), else 0
-- ARGV[4]  1 when elastic catch-up is enabled, else 0
-- ARGV[5]  elastic buffer: spare slots the window must keep before catch-up skips the spacing
-- ARGV[6]  1 when this queue object has warmed up (made `limit` pops), the original's kick-in rule
-- ARGV[7]  queue kind: zset (pop lowest score), fifo (RPOP), lifo (LPOP)
-- ARGV[8]  unique id for this hit's window member
-- Returns {status, value, now}: status ok (value = popped item), empty, throttled or moderated
-- (value = seconds until a pop may be allowed, -1 for never); now = the server time used.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local nowText = string.format('%.6f', now)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local kind = ARGV[7]

if limit <= 0 then
  return {'throttled', '-1', nowText}
end

local size
if kind == 'zset' then
  size = redis.call('ZCARD', KEYS[3])
else
  size = redis.call('LLEN', KEYS[3])
end
if size == 0 then
  return {'empty', '0', nowText}
end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%.6f', now - window))
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {'throttled', string.format('%.6f', tonumber(oldest[2]) + window - now), nowText}
end

local ttl = math.max(1, math.floor(window * 2))
if ARGV[3] == '1' and limit > 1 then
  local interval = window / limit
  local last = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
  local wait = last + interval - now
  if wait > 0 then
    local catchUp = ARGV[4] == '1' and ARGV[6] == '1' and (limit - count) > tonumber(ARGV[5])
    if not catchUp then
      return {'moderated', string.format('%.6f', wait), nowText}
    end
  end
  redis.call('SET', KEYS[2], nowText, 'EX', ttl)
end

redis.call('ZADD', KEYS[1], nowText, nowText .. ':' .. ARGV[8])
redis.call('EXPIRE', KEYS[1], ttl)

local item
if kind == 'zset' then
  item = redis.call('ZPOPMIN', KEYS[3])[1]
elseif kind == 'fifo' then
  item = redis.call('RPOP', KEYS[3])
else
  item = redis.call('LPOP', KEYS[3])
end
return {'ok', item, nowText}
