-- Reserves the next fetch of a domain under its robots.txt Crawl-delay, for the whole cluster: each
-- caller gets its own slot, at least `delay` seconds after the previous one, and waits until it.
-- KEYS[1]  the domain's next free slot, `<throttle name>:crawl_delay_next` (epoch seconds, as text)
-- ARGV[1]  the Crawl-delay, seconds
-- Returns the seconds to wait before fetching (0 when the slot is now), as text.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local delay = tonumber(ARGV[1])
local free = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local slot = math.max(now, free)
redis.call('SET', KEYS[1], string.format('%.6f', slot + delay), 'PX', math.ceil((slot + delay - now) * 1000) + 1000)
return string.format('%.6f', slot - now)
