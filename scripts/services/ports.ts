import { createServer, connect, type Server } from 'node:net';

/**
 * Asks the OS for `count` distinct free loopback ports. All listeners stay open until every port is
 * known, so the OS cannot hand out the same port twice; the small race with other programs after closing
 * is accepted (the services bind within a second or two).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('listen(0) returned no port');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/**
 * Sends `request` over a fresh TCP connection and resolves with what was read once `complete` says the
 * answer is whole, the peer closes, or `timeoutMs` passes with some data. Rejects when nothing came back.
 */
export function tcpExchange(
  host: string,
  port: number,
  request: string,
  options: { timeoutMs?: number; complete?: (text: string) => boolean } = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 2000;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port });
    const done = (err?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err && chunks.length === 0) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(
      () => done(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.complete?.(Buffer.concat(chunks).toString('utf8'))) done();
    });
    socket.once('end', () => done());
    socket.once('error', (err) => done(err));
  });
}

/** Splits `host:port` (IPv6 in brackets allowed) with a default port. */
export function parseHostPort(value: string, defaultPort: number): { host: string; port: number } {
  const trimmed = value.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : defaultPort };
  const idx = trimmed.lastIndexOf(':');
  if (idx > 0 && trimmed.indexOf(':') === idx) {
    return { host: trimmed.slice(0, idx), port: Number(trimmed.slice(idx + 1)) };
  }
  return { host: trimmed, port: defaultPort };
}
