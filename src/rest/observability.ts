import type { FastifyInstance } from 'fastify';
import { counter, LabelledCounter, probeAnswer, type HealthSource } from '../core/metrics/index.js';

/** Paths probes reach without an API key (as the index): liveness and readiness checks carry none. */
export const OPEN_PATHS = new Set(['/', '/healthz', '/readyz']);

/**
 * `GET /metrics` (behind the API keys when they are set: Prometheus sends a bearer token), `/healthz` and
 * `/readyz` on the REST port, and `scrapy_cluster_rest_requests_total{route,status}`. The route label is
 * the matched route pattern (`/feed`, `/poll`, `/ui/api/crawls`), or `unmatched`: never the raw URL.
 */
/** Answers by status class since start, for the shutdown summary. */
export interface RequestTally {
  total: number;
  byClass: Record<string, number>;
}

export interface RestObservability extends HealthSource {
  tally?: RequestTally;
}

export function registerObservability(app: FastifyInstance, health: RestObservability): void {
  const requests = counter<'route' | 'status'>({
    name: 'rest_requests_total',
    help: 'HTTP requests answered, by route pattern and status code.',
    labelNames: ['route', 'status'],
  });
  const children = new Map<string, LabelledCounter>();
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    let byStatus = children.get(route);
    if (!byStatus) {
      byStatus = new LabelledCounter({ labels: (status: string) => requests.labels(route, status) });
      children.set(route, byStatus);
    }
    byStatus.inc(reply.statusCode);
    if (health.tally) {
      health.tally.total++;
      const klass = `${Math.floor(reply.statusCode / 100)}xx`;
      health.tally.byClass[klass] = (health.tally.byClass[klass] ?? 0) + 1;
    }
  });
  for (const path of ['/metrics', '/healthz', '/readyz']) {
    app.get(path, async (_request, reply) => {
      const answer = (await probeAnswer(path, health))!;
      return reply.code(answer.status).header('content-type', answer.contentType).send(answer.body);
    });
  }
}
