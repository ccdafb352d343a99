-- Sets each KEYS[i] to ARGV[i]: what MSET does, as a script so the in-memory store runs it too.
-- The Kafka Monitor sends a batch's plain SETs (timeouts, actions, stats requests) as one call.
-- Returns the number of keys set.
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i])
end
return #KEYS
