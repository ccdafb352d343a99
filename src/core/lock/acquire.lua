-- Takes a per-key lock if nobody holds it.
-- Same key and NX/EX semantics as python-redis-lock, so TypeScript and Python Redis Monitors exclude
-- each other on the same jobs.
-- KEYS[1]  lock key, `lock:<job key>`
-- ARGV[1]  owner id (random, unique per holder)
-- ARGV[2]  expiry in milliseconds
-- Returns 1 when the lock was taken, 0 when someone else holds it.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
