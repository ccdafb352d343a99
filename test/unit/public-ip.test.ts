import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { PUBLIC_IP_FALLBACK, PublicIpLookup } from '../../src/crawler/control/public-ip.js';
import { captureLogger } from '../support/capture-logger.js';

const IP_REGEX = '(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})';

/** A loopback stand-in for PUBLIC_IP_URL whose answer the test changes. */
async function ipServer(): Promise<{ server: Server; url: string; answer: { body: string } }> {
  const answer = { body: '203.0.113.7' };
  const server = createServer((_req, res) => res.end(answer.body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/raw`, answer };
}

describe('PublicIpLookup', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  it('uses the fallback until the first answer, then the answered address', async () => {
    const { server, url } = await ipServer();
    servers.push(server);
    const { logger, lines } = captureLogger();
    const lookup = new PublicIpLookup({ url, pattern: IP_REGEX, timeoutSeconds: 5, logger });
    expect(lookup.current).toBe(PUBLIC_IP_FALLBACK);
    expect(await lookup.refresh()).toBe('203.0.113.7');
    expect(lines.filter((l) => l.level !== 'DEBUG')).toEqual([]);
  });

  it('logs one warning per failure streak, keeps the last address, and one info when it recovers', async () => {
    const { server, url, answer } = await ipServer();
    servers.push(server);
    const { logger, lines } = captureLogger();
    const lookup = new PublicIpLookup({ url, pattern: IP_REGEX, timeoutSeconds: 5, logger });
    await lookup.refresh();

    answer.body = 'no address here';
    for (let i = 0; i < 5; i++) expect(await lookup.refresh()).toBe('203.0.113.7');
    const warnings = lines.filter((l) => l.level === 'WARNING');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('Could not reach out to get public ip');
    expect(lines.some((l) => l.level === 'ERROR')).toBe(false);

    answer.body = '198.51.100.9';
    expect(await lookup.refresh()).toBe('198.51.100.9');
    expect(lines.filter((l) => l.message === 'Public IP lookup answers again')).toHaveLength(1);

    answer.body = 'down again';
    await lookup.refresh();
    await lookup.refresh();
    expect(lines.filter((l) => l.level === 'WARNING')).toHaveLength(2);
  });

  it('treats an unreachable address as a failure with the fallback kept', async () => {
    const { server, url } = await ipServer();
    await new Promise((r) => server.close(r));
    const { logger, lines } = captureLogger();
    const lookup = new PublicIpLookup({ url, pattern: IP_REGEX, timeoutSeconds: 2, logger });
    expect(await lookup.refresh()).toBe(PUBLIC_IP_FALLBACK);
    expect(await lookup.refresh()).toBe(PUBLIC_IP_FALLBACK);
    expect(lines.filter((l) => l.level === 'WARNING')).toHaveLength(1);
  });
});
