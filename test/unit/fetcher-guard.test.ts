import type { LookupAddress } from 'node:dns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Fetcher,
  FetchError,
  type FetcherOptions,
  type FetcherSettings,
} from '../../src/crawler/fetch/index.js';
import { startTestWeb, type TestWeb } from '../../src/testweb/index.js';

let web: TestWeb;
const open: Fetcher[] = [];

function fetcher(settings: Partial<FetcherSettings> = {}, options: FetcherOptions = {}): Fetcher {
  const f = new Fetcher({ ROBOTSTXT_OBEY: false, DOWNLOAD_TIMEOUT: 5, ...settings }, options);
  open.push(f);
  return f;
}

async function failure(f: Fetcher, url: string): Promise<FetchError> {
  try {
    await f.fetch({ url });
  } catch (err) {
    if (err instanceof FetchError) return err;
    throw err;
  }
  throw new Error(`expected ${url} to fail`);
}

/** A resolver answering from a table, counting questions; names not in it do not exist. */
function fakeDns(table: Record<string, string[] | (() => string[])>) {
  const asked: string[] = [];
  const lookup = async (host: string): Promise<LookupAddress[]> => {
    asked.push(host);
    const entry = table[host];
    const addresses = typeof entry === 'function' ? entry() : entry;
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { lookup, asked };
}

beforeAll(async () => {
  web = await startTestWeb({ domains: 2, pagesPerDomain: 5 });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});
afterAll(async () => {
  await web.close();
});

describe('address guard', () => {
  it('refuses loopback, private, link-local and other special addresses by default', async () => {
    const f = fetcher();
    const cases: [string, string][] = [
      [`http://127.0.0.1:${web.port}/`, 'the loopback range'],
      ['http://10.0.0.1/', 'a private range'],
      ['http://192.168.1.1/', 'a private range'],
      ['http://172.16.5.4/', 'a private range'],
      ['http://169.254.169.254/latest/meta-data/', 'the link-local range'],
      ['http://100.64.0.1/', 'the shared (carrier-grade NAT) range'],
      ['http://0.0.0.0/', 'the unspecified range'],
      ['http://224.0.0.1/', 'a multicast range'],
      ['http://[::1]/', 'the loopback range'],
      ['http://[fd00::1]/', 'a private range'],
      ['http://[fe80::1]/', 'the link-local range'],
      ['http://[::ffff:169.254.169.254]/', 'the link-local range'],
      ['http://[::ffff:10.0.0.1]/', 'a private range'],
    ];
    for (const [url, range] of cases) {
      const err = await failure(f, url);
      expect(err.reason, url).toBe('blocked-address');
      expect(err.retryable).toBe(false);
      expect(err.message, url).toContain(`is in ${range}`);
    }
    expect((await failure(f, 'http://10.0.0.1/')).message).toBe(
      'Refused http://10.0.0.1/: address 10.0.0.1 is in a private range',
    );
  });

  it('refuses the test web itself unless ALLOWED_ADDRESSES opens 127.0.0.1', async () => {
    const closed = fetcher({ DNS_OVERRIDES: { '*.test': '127.0.0.1' } });
    const err = await failure(closed, web.url(0, '/'));
    expect(err.reason).toBe('blocked-address');
    expect(err.message).toContain('d0.test resolves to 127.0.0.1, which is in the loopback range');
    expect(web.requestsFor('d0.test')).toHaveLength(0);

    const opened = fetcher(web.fetcherSettings());
    expect((await opened.fetch({ url: web.url(0, '/') })).status).toBe(200);
    expect((await opened.fetch({ url: `http://127.0.0.1:${web.port}/status/200` })).status).toBe(200);
    expect((await failure(opened, `http://127.0.0.2:${web.port}/`)).reason).toBe('blocked-address');
  });

  it('checks every redirect hop: a redirect into 169.254.169.254 or 10.x is refused', async () => {
    const f = fetcher(web.fetcherSettings());
    for (const target of ['http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/admin']) {
      const err = await failure(f, web.url(0, `/redirect-to?url=${encodeURIComponent(target)}`));
      expect(err.reason, target).toBe('blocked-address');
      expect(err.url).toBe(target);
      expect(err.message).toContain(`Refused ${target}`);
    }
  });

  it('checks a redirect to a name that resolves to a refused address', async () => {
    const dns = fakeDns({ 'internal.example': ['10.1.2.3'] });
    const f = fetcher(web.fetcherSettings(), { dnsLookup: dns.lookup });
    const target = encodeURIComponent('http://internal.example/');
    const err = await failure(f, web.url(0, `/redirect-to?url=${target}`));
    expect(err.reason).toBe('blocked-address');
    expect(err.message).toContain('internal.example resolves to 10.1.2.3');
  });

  it('uses a permitted address when a name has several, and refuses when none is', async () => {
    const dns = fakeDns({
      'mixed.example': ['10.0.0.7', '127.0.0.1'],
      'private.example': ['10.0.0.7', '192.168.0.7'],
    });
    const f = fetcher({ ALLOWED_ADDRESSES: ['127.0.0.1/32'] }, { dnsLookup: dns.lookup });
    const ok = await f.fetch({ url: `http://mixed.example:${web.port}/headers` });
    expect(JSON.parse(ok.text).host).toBe(`mixed.example:${web.port}`);
    const err = await failure(f, `http://private.example:${web.port}/`);
    expect(err.reason).toBe('blocked-address');
    expect(err.message).toContain('10.0.0.7');
  });

  it('checks the address it connects to again when DNS changes its answer (rebinding)', async () => {
    let calls = 0;
    const dns = fakeDns({ 'rebind.example': () => (++calls === 1 ? ['127.0.0.1'] : ['10.0.0.1']) });
    // No DNS cache: the connect-time lookup asks again and gets the private address.
    const f = fetcher(
      { ALLOWED_ADDRESSES: ['127.0.0.1/32'], DNSCACHE_ENABLED: false },
      { dnsLookup: dns.lookup },
    );
    const err = await failure(f, `http://rebind.example:${web.port}/`);
    expect(err.reason).toBe('blocked-address');
    expect(calls).toBe(2);
    expect(web.requestsFor('rebind.example')).toHaveLength(0);
  });

  it('caches checked DNS answers', async () => {
    const dns = fakeDns({ 'cached.example': ['127.0.0.1'] });
    const f = fetcher({ ALLOWED_ADDRESSES: ['127.0.0.1/32'] }, { dnsLookup: dns.lookup });
    await Promise.all([1, 2, 3].map(() => f.fetch({ url: `http://cached.example:${web.port}/` })));
    await f.fetch({ url: `http://cached.example:${web.port}/page/1` });
    expect(dns.asked).toEqual(['cached.example']);
  });

  it('reports names that do not resolve as retryable dns failures', async () => {
    const f = fetcher({}, { dnsLookup: fakeDns({}).lookup });
    const err = await failure(f, 'http://nowhere.example/');
    expect(err.reason).toBe('dns');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('nowhere.example');
  });
});

describe('DNS_OVERRIDES', () => {
  it('maps exact names and *.suffix globs to addresses, keeping the Host header', async () => {
    const dns = fakeDns({});
    const f = fetcher(
      {
        DNS_OVERRIDES: { 'site.example': '127.0.0.1', '*.example.test': '127.0.0.1' },
        ALLOWED_ADDRESSES: ['127.0.0.1'],
      },
      { dnsLookup: dns.lookup },
    );
    for (const host of ['site.example', 'a.example.test', 'www.b.example.test']) {
      const res = await f.fetch({ url: `http://${host}:${web.port}/headers` });
      expect(JSON.parse(res.text).host).toBe(`${host}:${web.port}`);
    }
    expect(dns.asked).toEqual([]);
    expect((await failure(f, `http://example.test:${web.port}/`)).reason).toBe('dns');
  });

  it('still checks overridden addresses', async () => {
    const f = fetcher({ DNS_OVERRIDES: { 'meta.example': '169.254.169.254' } });
    const err = await failure(f, 'http://meta.example/');
    expect(err.reason).toBe('blocked-address');
    expect(err.message).toContain(
      'meta.example resolves to 169.254.169.254, which is in the link-local range',
    );
  });
});
