import { timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorMessage } from '../../core/errors.js';
import type { RestSettings } from '../settings.js';
import type { Store } from '../../core/store/index.js';
import { DashboardData } from './data.js';
import { UI_PREFIX } from './paths.js';

const require = createRequire(import.meta.url);

/** The page's files, read once: ours next to this module, uPlot from its own package (no CDN). */
const ASSETS: Record<string, { type: string; file: () => string }> = {
  '/': { type: 'text/html; charset=utf-8', file: () => own('index.html') },
  '/app.js': { type: 'text/javascript; charset=utf-8', file: () => own('app.js') },
  '/app.css': { type: 'text/css; charset=utf-8', file: () => own('app.css') },
  '/uplot.js': {
    type: 'text/javascript; charset=utf-8',
    file: () => require.resolve('uplot/dist/uPlot.iife.min.js'),
  },
  '/uplot.css': { type: 'text/css; charset=utf-8', file: () => require.resolve('uplot/dist/uPlot.min.css') },
};

function own(name: string): string {
  return new URL(`./static/${name}`, import.meta.url).pathname;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Who may open the dashboard: with REST_UI_USER and REST_UI_PASSWORD, that user (HTTP basic auth); else
 * with REST_API_KEYS, any user name and one of the keys as the password; else anyone who reaches the port
 * (REST_BIND is loopback in standalone).
 */
function uiGuard(settings: RestSettings): (request: FastifyRequest) => boolean {
  const user = settings.REST_UI_USER;
  const password = settings.REST_UI_PASSWORD;
  const keys = settings.REST_API_KEYS.filter((k) => k.length > 0).map(digest);
  if (!(user && password) && keys.length === 0) return () => true;
  return (request) => {
    const match = /^Basic\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match) return false;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const given = { user: decoded.slice(0, colon), password: digest(decoded.slice(colon + 1)) };
    if (user && password) return given.user === user && timingSafeEqual(given.password, digest(password));
    let ok = false;
    for (const key of keys) if (timingSafeEqual(key, given.password)) ok = true;
    return ok;
  };
}

/**
 * The dashboard at `/ui/`: a static page (plain JS, uPlot charts) polling a few JSON endpoints under
 * `/ui/api/`, and its actions going through the existing `POST /feed` (forwarded in-process with the
 * service's own API key, so the page never holds one).
 */
export function registerDashboard(
  app: FastifyInstance,
  deps: { settings: RestSettings; store: () => Store | undefined },
): DashboardData {
  const data = new DashboardData(deps.store);
  const allowed = uiGuard(deps.settings);
  const apiKey = deps.settings.REST_API_KEYS.find((k) => k.length > 0);
  const files = new Map<string, Buffer>();

  const deny = (reply: FastifyReply) =>
    reply
      .code(401)
      .header('WWW-Authenticate', 'Basic realm="scrapy-cluster", charset="UTF-8"')
      .send({
        status: 'FAILURE',
        error: { message: 'The dashboard needs a user and password' },
      });
  const answer = async <T>(reply: FastifyReply, load: () => Promise<T>) => {
    try {
      return reply.header('cache-control', 'no-store').send(await load());
    } catch (err) {
      return reply.code(503).send({ error: errorMessage(err) });
    }
  };

  void app.register(
    async (ui) => {
      ui.addHook('onRequest', async (request, reply) => {
        if (!allowed(request)) return deny(reply);
        return undefined;
      });
      ui.get('', async (_request, reply) => reply.redirect(`${UI_PREFIX}/`));
      for (const [path, asset] of Object.entries(ASSETS)) {
        ui.route({
          method: 'GET',
          url: path,
          // `/ui/` only: the page's relative links need the slash (`/ui` redirects to it).
          prefixTrailingSlash: 'slash',
          handler: async (_request, reply) => {
            let body = files.get(path);
            if (!body) files.set(path, (body = readFileSync(asset.file())));
            return reply.header('content-type', asset.type).header('cache-control', 'no-cache').send(body);
          },
        });
      }
      ui.get('/api/overview', async (_request, reply) => answer(reply, () => data.overview()));
      ui.get('/api/crawls', async (_request, reply) => answer(reply, () => data.crawls()));
      ui.get('/api/config', async (_request, reply) => answer(reply, () => data.config()));
      ui.get('/api/domains', async (request, reply) => {
        const query = request.query as { cursor?: string; count?: string };
        const cursor = /^\d+$/.test(query.cursor ?? '') ? query.cursor! : '0';
        const count = Math.min(Math.max(Number(query.count) || 50, 1), 500);
        return answer(reply, () => data.domains(cursor, count));
      });
      ui.post('/api/feed', async (request, reply) => {
        const forwarded = await app.inject({
          method: 'POST',
          url: '/feed',
          payload: request.body as Buffer,
          headers: {
            'content-type': 'application/json',
            ...(apiKey ? { 'x-api-key': apiKey } : {}),
          },
        });
        return reply
          .code(forwarded.statusCode)
          .header('content-type', 'application/json')
          .send(forwarded.body);
      });
    },
    { prefix: UI_PREFIX },
  );
  app.addHook('onClose', async () => data.close());
  return data;
}
