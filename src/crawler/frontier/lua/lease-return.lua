-- Puts a leased request back into its queue with its original score: for expired leases of a crawler
-- that died (any crawler runs the reaper), or for a crawler handing back its own leases on shutdown.
-- KEYS[1]  lease records, `<spiderid>:leased`
-- KEYS[2]  lease expiries, `<spiderid>:leases`
-- KEYS[3]  the queue named in the lease record (the caller read it from the record)
-- KEYS[4]  attempts, `<spiderid>:attempts` (hash: SHA1 of a queue member -> leases of it that ended with
--          no outcome), so a request that kills or trips up every crawler is given up after a bound
-- ARGV[1]  lease id
-- ARGV[2]  1 = only when the lease has expired (reaper); 0 = unconditionally (owner)
-- ARGV[3]  1 = count this lease as an attempt with no outcome (expired lease, unexpected error);
--          0 = a clean hand-back (shutdown), not counted
-- ARGV[4]  seconds the attempts hash is kept after its last count
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
if ARGV[3] == '1' then
  redis.call('HINCRBY', KEYS[4], redis.sha1hex(lease.item), 1)
  redis.call('EXPIRE', KEYS[4], ARGV[4])
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
