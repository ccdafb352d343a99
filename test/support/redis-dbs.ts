/**
 * The Redis database of each test file that runs its own Redis Monitor, crawler or stats, on the one
 * Redis server the whole test run shares. Job keys (`info:*`, `statsrequest:*`, ...) are not scoped by
 * topic prefix, so a Redis Monitor answers every job in its database: two files in one database, running
 * at the same time, take each other's jobs and reply on the wrong topic (the standalone walkthrough and
 * the README test both used 15, and a stats request went unanswered when they overlapped). Every number
 * is named here once; test/unit/redis-dbs.test.ts checks that no two are equal. Database 0 is the shared
 * default of the tests that need no isolation.
 */
export const TEST_REDIS_DBS = {
  readme: 5,
  restCli: 6,
  rest: 7,
  redisMonitorCli: 8,
  redisMonitor: 9,
  luaDifferential: 10,
  kafkaMonitorStats: 11,
  kafkaMonitorCli: 12,
  crawlerControls: 13,
  walkthroughSeparate: 14,
  walkthroughStandalone: 15,
} as const;
