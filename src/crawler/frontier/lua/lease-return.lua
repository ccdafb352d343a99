-- Puts a leased request back into its queue with its original score: for expired leases of a crawler
-- that died (any crawler runs the reaper), or for a crawler handing back its own leases on shutdown.
-- KEYS[1]  lease records, `<spiderid>:leased`
-- KEYS[2]  lease expiries, `<spiderid>:leases`
-- KEYS[3]  the queue named in the lease record (the caller read it from the record)
-- ARGV[1]  lease id
-- ARGV[2]  1 = only when the lease has expired (reaper); 0 = unconditionally (owner)
-- Returns 1 when the request went back to the queue, 0 when there was nothing (or nothing due) to return.
local record = redis.call('HGET', KEYS[1], ARGV[1])
if not record then
  return 0
end
if ARGV[2] == '1' then
  local t = redis.call('TIME')
  local expiry = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if expiry and tonumber(expiry) > tonumber(t[1]) + tonumber(t[2]) / 1000000 then
    return 0
  end
end
local lease = cjson.decode(record)
if lease.queue ~= KEYS[3] then
  return redis.error_reply('lease ' .. ARGV[1] .. ' belongs to ' .. tostring(lease.queue))
end
redis.call('ZADD', KEYS[3], lease.score, lease.item)
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
