-- Holds a domain for every crawler: the site answered 429 or 503 with Retry-After. A hold only ever
-- grows (two crawlers told different times keep the later one) and expires on its own.
-- KEYS[1]  the domain's hold, `<throttle name>:hold` (epoch seconds, as text)
-- KEYS[2]  the spider's holds for `info`, `<spiderid>:holds` (hash: domain -> epoch seconds)
-- ARGV[1]  seconds to hold from now (already capped by RETRY_AFTER_MAX)
-- ARGV[2]  the domain (the field in KEYS[2])
-- Returns the hold's end, epoch seconds as text (the existing one when it was later).
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local wanted = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if current >= wanted then
  return string.format('%.6f', current)
end
local ms = math.ceil(tonumber(ARGV[1]) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.6f', wanted), 'PX', ms)
redis.call('HSET', KEYS[2], ARGV[2], string.format('%.6f', wanted))
if redis.call('PTTL', KEYS[2]) < ms then
  redis.call('PEXPIRE', KEYS[2], ms)
end
return string.format('%.6f', wanted)
