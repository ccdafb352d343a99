-- Pushes items into a priority queue: higher priorities pop first, equal priorities in arrival order
-- (see lua/fifo-score.lua).
-- KEYS[1]  queue (sorted set)
-- ARGV     priority, member, priority, member, ...
-- Returns the number of items pushed.
--- @include "lua/fifo-score.lua"
local now_tick = fifo_now_tick()
local known = {}
local n = 0
for i = 1, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], fifo_score(KEYS[1], ARGV[i], now_tick, known), ARGV[i + 1])
  n = n + 1
end
return n
