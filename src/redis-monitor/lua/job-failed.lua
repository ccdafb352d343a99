-- Counts a failed attempt at a job. The job key stays for another attempt while the count is within
-- the limit; past it (or when retries are off) the job and its counter are dropped. A job key holding a
-- newer value than the one that failed is never dropped.
--
-- KEYS[1]  job key
-- KEYS[2]  failure counter, `lock:<job key>:failures` (same name and integer value as the original)
-- ARGV[1]  the value that failed
-- ARGV[2]  retries allowed after the first failure (RETRY_FAILURES_MAX)
-- ARGV[3]  '1' to retry (RETRY_FAILURES), '0' to drop at once
-- Returns the number of failures counted so far, or -1 when the job was dropped.
if ARGV[3] == '1' then
  local failures = redis.call('INCR', KEYS[2])
  if failures <= tonumber(ARGV[2]) then return failures end
end
redis.call('DEL', KEYS[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return -1
