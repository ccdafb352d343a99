import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';

/**
 * A small forward proxy on loopback for tests: plain-HTTP requests in absolute form are forwarded (with a
 * `Via: 1.1 test-proxy` header the site can see), CONNECT is tunnelled. `*.test` names resolve to
 * loopback (the test web's); with `credentials` set, requests without the matching
 * Proxy-Authorization are answered 407. Counts what it forwarded and remembers the auth headers it got.
 */
export async function startTestProxy(options: { credentials?: string } = {}) {
  const forwarded: string[] = [];
  const authSeen: (string | undefined)[] = [];
  const expected = options.credentials
    ? `Basic ${Buffer.from(options.credentials).toString('base64')}`
    : undefined;
  // The test web's names: every `*.test` host lives on loopback.
  const resolveHost = (host: string) => (host.endsWith('.test') ? '127.0.0.1' : host);
  const authorized = (req: IncomingMessage) => {
    authSeen.push(req.headers['proxy-authorization']);
    return expected === undefined || req.headers['proxy-authorization'] === expected;
  };
  const server: Server = createServer((req, res) => {
    if (!authorized(req)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    const target = new URL(req.url ?? '/');
    forwarded.push(target.href);
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, via: '1.1 test-proxy' };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(
      {
        host: resolveHost(target.hostname),
        port: target.port || 80,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, socket, head: Buffer) => {
    if (!authorized(req)) {
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
      return;
    }
    const [host = '', port = '443'] = (req.url ?? '').split(':');
    forwarded.push(`CONNECT ${req.url}`);
    const upstream = connect(Number(port), resolveHost(host), () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (credentials?: string) => `http://${credentials ? `${credentials}@` : ''}127.0.0.1:${port}`,
    forwarded,
    authSeen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
