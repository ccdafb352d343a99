-- Finishes a handled job: deletes the job key, unless a new request replaced its value meanwhile (then
-- that request stays for the next pass), and the job's failure counter.
--
-- KEYS[1]  job key, e.g. `info:<spiderid>:<appid>`
-- KEYS[2]  failure counter, `lock:<job key>:failures`
-- ARGV[1]  the value that was handled
-- Returns 1 when the job key was deleted, 0 when it was gone or holds a newer value.
redis.call('DEL', KEYS[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
