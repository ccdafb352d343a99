-- Settles a lease by queueing its follow-up in the same step: the request again (a retry, past the
-- duplicate filter) or a redirect's target. One script, so a crawler that dies in between cannot leave
-- both the lease (which would expire and put the request back) and its follow-up in the queues.
-- KEYS[1]  lease records, `<spiderid>:leased`
-- KEYS[2]  lease expiries, `<spiderid>:leases`
-- KEYS[3]  attempts, `<spiderid>:attempts`
-- KEYS[4..8]  the follow-up's keys, one request's five in enqueue.lua's order
-- ARGV[1]  lease id
-- ARGV[2]  the lease's field in KEYS[3] to clear, or empty
-- ARGV[3..13]  the follow-up's arguments, one request's eleven in enqueue.lua's order
-- Returns the follow-up's enqueue status (queued, duplicate...), or gone when the lease was no longer
-- held: it had expired and its request was put back already, so nothing is added.
--- @include "enqueue-request.lua"
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
  return 'gone'
end
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] ~= '' then
  redis.call('HDEL', KEYS[3], ARGV[2])
end
return enqueue_request(3, 2)
