-- Adds a batch of hits to the rolling windows and the lifetime HyperLogLog of one WindowedStats in one
-- call. Each hit is one ZSET member per window (the count readers take with ZCARD) and one HyperLogLog
-- element; the members are made here from a prefix, so a batch of N hits costs a handful of arguments on
-- the wire instead of 2 per hit per window.
-- KEYS[1..n]  the rolling windows `<prefix>:<window>` (sorted sets), then the lifetime HyperLogLog(s)
-- ARGV[1]  how many of KEYS are rolling windows
-- ARGV[2]  the hits' score (timestamp, seconds since the epoch)
-- ARGV[3]  member prefix, unique to this call: hit i is `<prefix><i>`
-- ARGV[4]  number of hits
-- Returns the number of hits.
local windows = tonumber(ARGV[1])
local score = ARGV[2]
local prefix = ARGV[3]
local count = tonumber(ARGV[4])
-- Chunks keep unpack() well below Lua's stack limit.
for from = 1, count, 500 do
  local last = math.min(count, from + 499)
  local entries = {}
  local elements = {}
  for i = from, last do
    local member = prefix .. i
    entries[#entries + 1] = score
    entries[#entries + 1] = member
    elements[#elements + 1] = member
  end
  for k = 1, #KEYS do
    if k <= windows then
      redis.call('ZADD', KEYS[k], unpack(entries))
    else
      redis.call('PFADD', KEYS[k], unpack(elements))
    end
  end
end
return count
