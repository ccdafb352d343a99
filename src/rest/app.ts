import { createServer } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { errorMessage } from '../core/errors.js';
import { safePayload, type Logger } from '../core/logging/index.js';
import type { RestSettings } from './settings.js';
import type { JsonObject } from '../core/wire/validator.js';
import { fail, failure, REST_MESSAGES, ok, type Answer } from './envelope.js';
import { FeedValidator } from '../core/wire/feed-validator.js';
import type { IndexBody } from './health.js';
import type { KafkaLink } from './kafka-link.js';
import { checkBulk } from './bulk-feed.js';
import { pollValidator, takePoll } from './poll.js';
import {
  ApiKeys,
  CORS_ALLOW_HEADERS,
  CORS_ALLOW_METHODS,
  CORS_MAX_AGE_SECONDS,
  CorsPolicy,
} from './protection.js';
import { OPEN_PATHS, registerObservability, type RestObservability } from './observability.js';
import type { RedisLink } from './redis-link.js';
import type { ReplyRouter } from './replies.js';
import { requestJson } from './request-json.js';
import { isUiPath } from './ui/paths.js';

/** What the endpoints need from the service around them. */
export interface RestAppDeps {
  settings: RestSettings;
  logger: Logger;
  kafka: Pick<KafkaLink, 'connected' | 'send'>;
  redis: Pick<RedisLink, 'connected' | 'store'>;
  replies: ReplyRouter;
  health: () => IndexBody;
  feedValidator?: FeedValidator;
  /** /metrics, /healthz, /readyz and request counts (the service passes them). */
  observability?: RestObservability;
}

const send = (reply: FastifyReply, answer: Answer): FastifyReply => reply.code(answer.code).send(answer.body);

/**
 * The HTTP side of the REST service on fastify: `GET|POST /`, `POST /feed`, `POST /poll`, the envelope
 * and the original's messages and status codes. Bodies are read as raw bytes and parsed here (no
 * fastify schemas, so no type coercion or removal of unknown members: validation is as strict as the
 * original's jsonschema).
 */
export function buildRestApp(deps: RestAppDeps): FastifyInstance {
  const { settings, logger, kafka, redis, replies } = deps;
  const feedValidator = deps.feedValidator ?? new FeedValidator();
  const keys = new ApiKeys(settings.REST_API_KEYS);
  const cors = new CorsPolicy(settings.REST_CORS_ORIGINS);
  const bodyLimit = settings.REST_BODY_LIMIT;

  const headersTimeoutMs = settings.REST_HEADERS_TIMEOUT * 1000;
  const requestTimeoutMs = Math.max(settings.REST_REQUEST_TIMEOUT * 1000, headersTimeoutMs);
  const app = Fastify({
    logger: false,
    // Node enforces these on a timer (connectionsCheckingInterval, 30 s by default), so a client that
    // trickles its headers or body is cut close to the configured time rather than minutes later.
    serverFactory: (handler) =>
      createServer(
        {
          headersTimeout: headersTimeoutMs,
          requestTimeout: requestTimeoutMs,
          connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
        },
        handler,
      ),
    requestTimeout: requestTimeoutMs,
    bodyLimit,
    forceCloseConnections: true,
    return503OnClosing: false,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false } },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    const allowOrigin = cors.allowOrigin(request.headers.origin);
    if (allowOrigin !== undefined) {
      reply.header('Access-Control-Allow-Origin', allowOrigin);
      if (allowOrigin !== '*') reply.header('Vary', 'Origin');
    }
    if (cors.enabled && request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      if (allowOrigin !== undefined) {
        reply.header('Access-Control-Allow-Methods', CORS_ALLOW_METHODS);
        reply.header('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
        reply.header('Access-Control-Max-Age', String(CORS_MAX_AGE_SECONDS));
      }
      return reply.code(204).send();
    }
    // The index stays open: load balancers and monitoring probe it without credentials.
    const path = request.url.split('?', 1)[0]!;
    if (keys.enabled && !OPEN_PATHS.has(path) && !isUiPath(path) && !keys.allows(request.headers)) {
      logger.warning('Rejected request without a valid API key', {
        method: request.method,
        url: request.url,
        remote_addr: request.ip,
      });
      return reply.code(401).header('WWW-Authenticate', 'Bearer').send(failure(REST_MESSAGES.unauthorized));
    }
    return undefined;
  });

  // Counts every answer; must come before the routes so each of them gets the hook.
  if (deps.observability) registerObservability(app, deps.observability);

  if (settings.FLASK_LOGGING_ENABLED) {
    app.addHook('onResponse', async (request, reply) => {
      logger.info(`"${request.method} ${request.url} HTTP/${request.raw.httpVersion}" ${reply.statusCode}`, {
        remote_addr: request.ip,
        response_ms: Math.round(reply.elapsedTime),
      });
    });
  }

  app.route({
    method: ['GET', 'POST'],
    url: '/',
    handler: async (request, reply) => {
      const body = requestJson(request);
      logger.info("'index' endpoint called", { content: body.ok ? safePayload(body.value) : null });
      return reply.code(200).send(deps.health());
    },
  });

  app.post('/feed', async (request, reply) => {
    const body = requestJson(request);
    logger.info("'feed' endpoint called", { content: body.ok ? safePayload(body.value) : null });
    if (!body.ok) return send(reply, fail(400, REST_MESSAGES.badJson));

    const check = feedValidator.validate(body.value);
    if (!check.ok) {
      logger.warning('Invalid Schema', {
        content: safePayload(body.value),
        cause: check.cause,
        schema: check.schema,
      });
      return send(reply, fail(400, REST_MESSAGES.badSchema, check.cause));
    }
    if (!kafka.connected) {
      logger.warning('Unable to write request to Kafka, not connected');
      return send(reply, fail(500, REST_MESSAGES.kafkaDown));
    }

    const feedRequest = body.value as JsonObject;
    const uuid = 'uuid' in feedRequest ? String(feedRequest.uuid) : undefined;
    // Registered before producing: a reply may come back before the acknowledgement does.
    const waiter = uuid === undefined ? undefined : replies.expect(uuid);
    try {
      await kafka.send(
        settings.KAFKA_PRODUCER_TOPIC,
        [JSON.stringify(feedRequest)],
        settings.KAFKA_FEED_TIMEOUT * 1000,
      );
    } catch (err) {
      waiter?.cancel();
      // Only a broker that cannot be reached is "Unable to connect to Kafka"; anything else is our
      // fault and is said so, with the cause in the log.
      if (!(err instanceof RangeError || err instanceof TypeError)) {
        logger.warning('Unable to write request to Kafka', { error: errorMessage(err) });
        return send(reply, fail(500, REST_MESSAGES.kafkaDown));
      }
      logger.error('Uncaught Exception Thrown', { error: errorMessage(err), url: request.url });
      return send(reply, fail(500, REST_MESSAGES.uncaught));
    }
    if (waiter === undefined || uuid === undefined) return send(reply, ok(null));

    // A client that went away no longer takes the reply: it is stored for /poll instead.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) waiter.cancel();
    });
    const data = await waiter.result(settings.WAIT_FOR_RESPONSE_TIME * 1000);
    if (data === undefined) {
      logger.warning(
        'Did not get response within timeout from kafka. If the request is still running, use the `/poll` API',
        { poll_id: uuid },
      );
      return send(reply, ok({ poll_id: uuid }));
    }
    return send(reply, ok(data));
  });

  // Many requests in one call, each validated and reported on its own; the valid ones go to Kafka in one
  // batch. Replies to requests with a uuid are not waited for: they are kept for /poll.
  app.post('/feed/bulk', async (request, reply) => {
    const body = requestJson(request);
    logger.info("'feed/bulk' endpoint called", {
      requests: body.ok && Array.isArray(body.value) ? body.value.length : null,
    });
    if (!body.ok) return send(reply, fail(400, REST_MESSAGES.badJson));
    const checked = checkBulk(body.value, feedValidator);
    if ('refused' in checked) return send(reply, fail(400, REST_MESSAGES.badSchema, checked.refused));
    const refused = checked.results.length - checked.valid.length;
    if (checked.valid.length > 0) {
      if (!kafka.connected) {
        logger.warning('Unable to write request to Kafka, not connected');
        return send(reply, fail(500, REST_MESSAGES.kafkaDown));
      }
      try {
        await kafka.send(settings.KAFKA_PRODUCER_TOPIC, checked.valid, settings.KAFKA_FEED_TIMEOUT * 1000);
      } catch (err) {
        logger.warning('Unable to write request to Kafka', { error: errorMessage(err) });
        return send(reply, fail(500, REST_MESSAGES.kafkaDown));
      }
    }
    if (refused > 0) logger.warning('Invalid Schema', { refused, accepted: checked.valid.length });
    return send(reply, ok({ accepted: checked.valid.length, refused, results: checked.results }));
  });

  app.post('/poll', async (request, reply) => {
    const body = requestJson(request);
    logger.info("'poll' endpoint called", { content: body.ok ? safePayload(body.value) : null });
    if (!body.ok) return send(reply, fail(400, REST_MESSAGES.badJson));

    const check = pollValidator.validate(body.value);
    if (!check.ok) {
      logger.warning('Invalid Schema', { content: safePayload(body.value), cause: check.error });
      return send(reply, fail(400, REST_MESSAGES.badSchema, check.error));
    }
    const store = redis.store;
    if (store === undefined || !redis.connected) {
      logger.warning('Unable to poll, not connected to redis');
      return send(reply, fail(500, REST_MESSAGES.redisDown));
    }
    const pollId = String(check.value.poll_id);
    let stored: string | null;
    try {
      stored = await takePoll(store, pollId);
    } catch (err) {
      logger.error('Lost connection to Redis', { error: errorMessage(err) });
      return send(reply, fail(500, REST_MESSAGES.redisDown));
    }
    if (stored === null) return send(reply, fail(404, REST_MESSAGES.pollMissing));
    try {
      return send(reply, ok(JSON.parse(stored) as unknown));
    } catch {
      logger.warning('Unparseable JSON Received from redis', {
        poll_id: pollId,
        value: stored.slice(0, 200),
      });
      return send(reply, fail(500, REST_MESSAGES.pollUnparseable));
    }
  });

  app.setNotFoundHandler(async (request, reply) => {
    const body = requestJson(request);
    logger.info('Non-existant route called', {
      content: body.ok ? safePayload(body.value) : null,
      method: request.method,
      url: request.url,
    });
    return send(reply, fail(404, REST_MESSAGES.noEndpoint));
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const code = error.code ?? '';
    if (request.raw.destroyed || code === 'ECONNRESET' || error.message === 'aborted') {
      // The client went away mid-request: nothing to answer and nothing wrong on our side.
      logger.info('Client closed the connection before the request was read', { url: request.url });
      return reply;
    }
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      logger.warning('Request body too large', { url: request.url, limit_bytes: bodyLimit });
      return send(reply, fail(413, REST_MESSAGES.tooLarge, `The limit is ${bodyLimit} bytes`));
    }
    if (code.startsWith('FST_ERR_CTP_')) {
      // Malformed bodies and content types (e.g. a bad Content-Length, an invalid media type).
      return send(reply, fail(400, REST_MESSAGES.badJson));
    }
    if (code.startsWith('FST_ERR_') && error.statusCode !== undefined && error.statusCode < 500) {
      return send(reply, fail(error.statusCode, error.message));
    }
    logger.error('Uncaught Exception Thrown', {
      error: errorMessage(error),
      url: request.url,
      traceback: error.stack ?? null,
    });
    return send(reply, fail(500, REST_MESSAGES.uncaught));
  });

  return app;
}
