-- Decides whether a throttled queue may pop now and pops in the same step, so the limit holds exactly
-- across any number of processes and machines (see lua/throttle-decide.lua for the rules).
-- A hit is recorded only when an item is actually popped: an empty queue consumes no slot.
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
--- @include "lua/throttle-decide.lua"
local now = throttle_now()
local now_text = string.format('%.6f', now)
local opts = throttle_opts(1)
local kind = ARGV[7]

if opts.limit <= 0 then
  return {'throttled', '-1', now_text}
end
local size
if kind == 'zset' then
  size = redis.call('ZCARD', KEYS[3])
else
  size = redis.call('LLEN', KEYS[3])
end
if size == 0 then
  return {'empty', '0', now_text}
end

local denied = throttle_check(KEYS[1], KEYS[2], now, opts)
if denied then
  return {denied[1], denied[2], now_text}
end
throttle_record(KEYS[1], KEYS[2], now, opts, ARGV[8])

local item
if kind == 'zset' then
  item = redis.call('ZPOPMIN', KEYS[3])[1]
elseif kind == 'fifo' then
  item = redis.call('RPOP', KEYS[3])
else
  item = redis.call('LPOP', KEYS[3])
end
return {'ok', item, now_text}
