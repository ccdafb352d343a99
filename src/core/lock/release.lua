-- Releases a lock only when the caller owns it (never someone else's after an expiry).
-- KEYS[1]  lock key
-- KEYS[2]  python-redis-lock signal list `lock-signal:<job key>`, cleared for Python waiters
-- ARGV[1]  owner id
-- Returns 1 when released, 0 when the lock was not ours.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
