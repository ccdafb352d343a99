-- Shared snippet: the score of a priority-queue member.
-- score = -priority + fraction, where the fraction in [0, 1) counts 64 us ticks of the server clock since
-- 2024-01-01 (2^45 ticks span 71 years). floor(score) stays -priority, the original's wire format. When
-- the newest member of the same priority already has this tick or a later one, the next tick is used,
-- so equal priorities pop in the order they reached Redis.
local FIFO_TICKS = 35184372088832

-- The tick of a TIME reply.
local function fifo_tick(t)
  return math.floor(((tonumber(t[1]) - 1704067200) * 1000000 + tonumber(t[2])) / 64)
end

local function fifo_now_tick()
  return fifo_tick(redis.call('TIME'))
end

-- Returns the score text for a new member of `queue` with `priority`, given the current tick. `known`
-- (optional) is a table the caller keeps for one script call, `queue priority` -> the last tick given out,
-- so a call adding many members of one priority asks Redis for the newest member only once.
local function fifo_score(queue, priority, now_tick, known)
  local base = -tonumber(priority)
  local tick = now_tick
  local key = known and (queue .. ' ' .. base)
  local last = known and known[key]
  if last == nil then
    local newest = redis.call('ZREVRANGEBYSCORE', queue, '(' .. (base + 1), base, 'WITHSCORES', 'LIMIT', 0, 1)
    if newest[2] then
      last = math.floor((tonumber(newest[2]) - base) * FIFO_TICKS + 0.5)
    end
  end
  if last and last >= tick then
    tick = last + 1
  end
  if known then
    known[key] = tick
  end
  return string.format('%.17g', base + tick / FIFO_TICKS)
end
