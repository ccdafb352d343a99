-- Pushes items into a priority queue so that higher priorities pop first and equal priorities pop in
-- the order they reached Redis.
-- score = -priority + fraction, where the fraction in [0, 1) counts 64 us ticks of the server clock since
-- 2024-01-01 (2^45 ticks span 71 years). floor(score) stays -priority, the original's wire format. When
-- the newest item of the same priority already has this tick or a later one, the next tick is used,
-- so arrival order holds even for pushes within one tick.
-- KEYS[1]  queue (sorted set)
-- ARGV     priority, member, priority, member, ...
-- Returns the number of items pushed.
local TICKS = 35184372088832
local t = redis.call('TIME')
local now = math.floor(((tonumber(t[1]) - 1704067200) * 1000000 + tonumber(t[2])) / 64)
local n = 0
for i = 1, #ARGV, 2 do
  local base = -tonumber(ARGV[i])
  local tick = now
  local newest = redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. (base + 1), base, 'WITHSCORES', 'LIMIT', 0, 1)
  if newest[2] then
    local last = math.floor((tonumber(newest[2]) - base) * TICKS + 0.5)
    if last >= tick then
      tick = last + 1
    end
  end
  redis.call('ZADD', KEYS[1], string.format('%.17g', base + tick / TICKS), ARGV[i + 1])
  n = n + 1
end
return n
