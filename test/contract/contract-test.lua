-- Contract-test script: increments a counter and records it in a sorted set.
-- KEYS[1]  counter
-- KEYS[2]  sorted set
-- ARGV[1]  amount to add
-- Returns {new total, set size, total / 4 as a string}.
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], total, 'm' .. total)
return {total, redis.call('ZCARD', KEYS[2]), tostring(total / 4)}
