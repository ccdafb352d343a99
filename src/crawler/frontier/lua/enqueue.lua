-- Adds requests found by spiders to their domain queues after the original's checks, atomically per
-- request (the original ran them as separate commands, so concurrent crawlers could overshoot page
-- limits). One call carries the links of every page parsed while the previous call was on its way.
-- KEYS[1..]  per request, five keys:
--            the duplicate filter, `<spiderid>:dupefilter:<crawlid>` (set of request fingerprints);
--            the queue, `<meta.spiderid>:<domain>:queue`;
--            the crawl blacklist, `<spiderid>:blacklist`;
--            the per-domain page counter, `<spiderid>:domain_max_page_filter:<domain>:<crawlid>`;
--            the global page counter, `<spiderid>:global_page_count_filter:<domain>:<crawlid>`
-- ARGV[1..]  per request, eleven values:
--            request fingerprint, or empty to skip the duplicate filter and page limits (retries);
--            duplicate filter lifetime, seconds; `appid||crawlid`; crawl expiry, epoch seconds (0 = never);
--            domain_max_pages (0 = no limit); per-domain counter lifetime, seconds;
--            GLOBAL_PAGE_PER_DOMAIN_LIMIT (0 = no limit); global counter lifetime, seconds; priority;
--            the member (serialized request); channel to publish the queue's key on when this call
--            creates the queue (empty = none)
-- Returns one status per request: queued, blacklisted, expired, duplicate, domain-limit or global-limit.
--- @include "enqueue-request.lua"
local statuses = {}
for i = 0, #KEYS / 5 - 1 do
  statuses[i + 1] = enqueue_request(i * 5, i * 11)
end
return statuses
