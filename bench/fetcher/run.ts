/**
 * Fetcher throughput against a bare undici loop, in the same run and against the same test web (in its own
 * process, so the server's CPU is not charged to the client).
 *
 *   npx tsx bench/fetcher/run.ts [--pages N] [--concurrency C] [--domains D] [--page-bytes B] [--rounds R]
 *                                [--share]
 *
 * --share turns on the Fetcher's shareConnectionsPerAddress (the baseline stays per origin).
 *
 * Prints pages/s for each side (over R rounds of alternating slices) and the ratio fetcher / baseline.
 */
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { Fetcher } from '../../src/crawler/fetch/index.js';
import { spawnTestWeb } from '../../src/testweb/index.js';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '16' },
    domains: { type: 'string', default: '100' },
    'page-bytes': { type: 'string', default: '8192' },
    rounds: { type: 'string', default: '3' },
    share: { type: 'boolean', default: false },
  },
});
const pages = Number(values.pages);
const concurrency = Number(values.concurrency);
const domains = Number(values.domains);
const rounds = Number(values.rounds);

const web = await spawnTestWeb({
  domains,
  pagesPerDomain: Math.ceil(pages / domains),
  pageBytes: Number(values['page-bytes']),
  record: false,
});
const urls = web.allPageUrls().slice(0, pages);
// The headers the Fetcher sends by default, so both sides ask the server the same thing.
const sameHeaders = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en',
  'accept-encoding': 'gzip,deflate,br',
  'user-agent': 'Scrapy/1.5.0 (+https://scrapy.org)',
};

/** Runs `fetchOne` over `list` with `concurrency` workers: wall seconds, this process's CPU time, bytes read. */
async function measure(list: string[], fetchOne: (url: string) => Promise<number>) {
  let next = 0;
  let bytes = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const worker = async () => {
    while (next < list.length) {
      const n = await fetchOne(list[next++]!);
      bytes += n;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpuMicros: used.user + used.system, bytes };
}

// The baseline: undici with the same pool shape and headers, hosts pinned to the test web, the body read whole.
const bareAgent = new Agent({
  connections: 8,
  pipelining: 1,
  connect: {
    lookup: (_host, opts, cb) =>
      opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4),
  },
});
const baseline = async (url: string) => {
  const res = await request(url, { dispatcher: bareAgent, headers: sameHeaders });
  return (await res.body.arrayBuffer()).byteLength;
};

const fetcher = new Fetcher(
  { ...web.fetcherSettings(), CONCURRENT_REQUESTS_PER_DOMAIN: 8 },
  { shareConnectionsPerAddress: values.share },
);
const viaFetcher = async (url: string) => {
  const res = await fetcher.fetch({ url });
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return res.body.length;
};

console.log(
  `test web: ${domains} domains, ${urls.length} pages, ~${values['page-bytes']} bytes each; ` +
    `concurrency ${concurrency}${values.share ? '; fetcher shares connections per address' : ''}`,
);
// Warm both sides (connections, robots.txt, DNS cache, JIT) before measuring.
const warm = urls.slice(0, Math.min(2000, urls.length));
for (const url of warm) await Promise.all([baseline(url), viaFetcher(url)]);

// Both sides take turns on short slices, so load from anything else on the machine falls on both alike.
const slice = 1000;
const totals = { baseline: 0, fetcher: 0 };
const cpuTotals = { baseline: 0, fetcher: 0 };
for (let round = 1; round <= rounds; round++) {
  const before = { ...totals };
  for (let from = 0; from < urls.length; from += slice) {
    const part = urls.slice(from, from + slice);
    const sides = [
      ['baseline', baseline],
      ['fetcher', viaFetcher],
    ] as const;
    for (const [name, fn] of (from / slice) % 2 === 0 ? sides : [...sides].reverse()) {
      const result = await measure(part, fn);
      totals[name] += result.seconds;
      cpuTotals[name] += result.cpuMicros;
    }
  }
  const rate = (side: 'baseline' | 'fetcher') => urls.length / (totals[side] - before[side]);
  console.log(
    `round ${round}: baseline ${rate('baseline').toFixed(0)} pages/s, fetcher ${rate('fetcher').toFixed(0)} pages/s`,
  );
}
const baseRate = (urls.length * rounds) / totals.baseline;
const fetcherRate = (urls.length * rounds) / totals.fetcher;
console.log(`baseline (bare undici.request): ${baseRate.toFixed(0)} pages/s`);
console.log(`Fetcher (guard + robots + decoding): ${fetcherRate.toFixed(0)} pages/s`);
console.log(`ratio: ${(fetcherRate / baseRate).toFixed(2)} (target >= 0.8)`);
// Client CPU per page is steadier than wall time on a busy machine: it is the fetcher's own cost.
const cpuPerPage = (side: 'baseline' | 'fetcher') => cpuTotals[side] / (urls.length * rounds);
console.log(
  `client CPU per page: baseline ${cpuPerPage('baseline').toFixed(1)} µs, fetcher ${cpuPerPage('fetcher').toFixed(1)} µs`,
);

await fetcher.close();
await bareAgent.close();
await web.close();
