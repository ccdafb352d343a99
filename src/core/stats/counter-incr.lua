-- Increments a Counter, starting a fresh key at its configured start value.
-- The original SETs the start value on its first increment and then INCRs in a second call; doing both
-- here with NX keeps the two atomic and never resets a count another process already made.
-- KEYS[1]  counter key (rolled: `<key>:<YYYY-mm-dd_HH:MM:SS>`)
-- ARGV[1]  start value (integer) used when the key does not exist yet
-- ARGV[2]  number of hits to add (integer, 1 for a single increment)
-- Returns the value after the increment.
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('INCRBY', KEYS[1], ARGV[2])
