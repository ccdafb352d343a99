import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logging/index.js';
import type { Readiness } from './readiness.js';
import { metricsRegistry } from './registry.js';

/** What `/healthz` and `/readyz` ask of a component. */
export interface HealthSource {
  /** True while the component runs its loop (`/healthz`). */
  live: () => boolean;
  /** Its connections (`/readyz`). */
  readiness: Readiness;
}

export interface ProbeAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** The answer to one of `/metrics`, `/healthz`, `/readyz`, or undefined for any other path. */
export async function probeAnswer(path: string, health: HealthSource): Promise<ProbeAnswer | undefined> {
  if (path === '/metrics') {
    const registry = metricsRegistry();
    return { status: 200, contentType: registry.contentType, body: await registry.metrics() };
  }
  if (path === '/healthz') {
    const live = health.live();
    return {
      status: live ? 200 : 503,
      contentType: 'application/json',
      body: JSON.stringify({ status: live ? 'ok' : 'stopped' }),
    };
  }
  if (path === '/readyz') {
    const report = await health.readiness.report();
    return {
      status: report.ready ? 200 : 503,
      contentType: 'application/json',
      body: JSON.stringify({ status: report.ready ? 'ready' : 'not ready', ...report }),
    };
  }
  return undefined;
}

export interface MetricsListener {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The small HTTP listener of the crawler and the monitors on METRICS_HOST:METRICS_PORT. Port 0 picks a
 * free port (logged). A port in use, or any other listen error, is logged as a warning and the component
 * goes on without the listener: metrics must never stop a crawl.
 */
export async function startMetricsListener(options: {
  component: string;
  host: string;
  port: number;
  health: HealthSource;
  logger: Logger;
}): Promise<MetricsListener | undefined> {
  const { component, host, port, health, logger } = options;
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?', 1)[0]!;
    probeAnswer(path, health)
      .then((answer) => {
        const found = answer ?? { status: 404, contentType: 'text/plain', body: 'Not found\n' };
        response.writeHead(found.status, { 'content-type': found.contentType });
        response.end(request.method === 'HEAD' ? undefined : found.body);
      })
      .catch((err: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`${errorMessage(err)}\n`);
      });
  });
  server.keepAliveTimeout = 5000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    logger.warning('Metrics listener not started; running without /metrics, /healthz and /readyz', {
      component,
      host,
      port,
      error: errorMessage(err),
    });
    return undefined;
  }
  server.unref();
  const bound = (server.address() as AddressInfo).port;
  logger.info(`Metrics on http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`, {
    component,
    host,
    port: bound,
  });
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
