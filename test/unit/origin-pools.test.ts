/**
 * The fetcher's per-origin pools are bounded: the least recently used origin's pool closes when a new
 * origin would pass KEEPALIVE_MAX_ORIGINS (its requests still finish), and a pool whose connections all
 * closed is dropped.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { OriginPools } from '../../src/crawler/fetch/origin-pools.js';

const servers: Server[] = [];

async function site(options: { keepAlive: boolean; delayMs?: number }): Promise<string> {
  const server = createServer((req, res) => {
    setTimeout(() => {
      if (!options.keepAlive) res.setHeader('connection', 'close');
      res.end(`hello from ${req.headers.host}`);
    }, options.delayMs ?? 0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('OriginPools', () => {
  it('keeps at most maxOrigins pools, closing the least recently used, and every request completes', async () => {
    const pools = new OriginPools({ connections: 2, keepAliveTimeout: 60_000 }, 2);
    const origins = await Promise.all([1, 2, 3].map(() => site({ keepAlive: true, delayMs: 20 })));
    const get = async (origin: string) => {
      const res = await request(`${origin}/`, { dispatcher: pools });
      return res.body.text();
    };
    // The third origin evicts the first while the first's request is still running: it still finishes.
    const bodies = await Promise.all(origins.map(get));
    expect(bodies.map((b) => b.startsWith('hello from 127.0.0.1:'))).toEqual([true, true, true]);
    expect(pools.size).toBe(2);
    // Using origin 2 makes origin 3 the least recently used: origin 1 evicts it.
    await get(origins[1]!);
    await get(origins[0]!);
    expect(pools.size).toBe(2);
    expect(await get(origins[2]!)).toContain(new URL(origins[2]!).host);
    expect(pools.size).toBe(2);
    await pools.close();
    expect(pools.size).toBe(0);
  });

  it('closes the keep-alive connection of an evicted idle pool at once', async () => {
    const pools = new OriginPools({ connections: 1, keepAliveTimeout: 60_000 }, 1);
    const [first, second] = await Promise.all([1, 2].map(() => site({ keepAlive: true })));
    let open = 0;
    servers[0]!.on('connection', (socket) => {
      open += 1;
      socket.on('close', () => (open -= 1));
    });
    const res = await request(`${first!}/`, { dispatcher: pools });
    await res.body.text();
    expect(open).toBe(1); // kept alive
    const other = await request(`${second!}/`, { dispatcher: pools });
    await other.body.text();
    for (let i = 0; i < 50 && open > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(open).toBe(0);
    expect(pools.size).toBe(1);
    // The retired origin opens a fresh pool on its next request.
    const again = await request(`${first!}/`, { dispatcher: pools });
    expect(await again.body.text()).toContain(new URL(first!).host);
    await pools.close();
  });

  it('drops a pool once its connections have closed', async () => {
    const pools = new OriginPools({ connections: 2 }, 100);
    const origin = await site({ keepAlive: false });
    const res = await request(`${origin}/`, { dispatcher: pools });
    await res.body.text();
    for (let i = 0; i < 50 && pools.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(pools.size).toBe(0);
    // The origin is opened again on its next request.
    const again = await request(`${origin}/`, { dispatcher: pools });
    expect(again.statusCode).toBe(200);
    await again.body.text();
    await pools.destroy();
  });
});
