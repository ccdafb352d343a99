-- Returns the stored reply under KEYS[1] and deletes it in the same step, so that two REST nodes
-- answering the same poll_id at once cannot both return it.
local value = redis.call('GET', KEYS[1])
if value then
  redis.call('DEL', KEYS[1])
end
return value
