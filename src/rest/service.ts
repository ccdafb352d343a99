import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Bus } from '../core/bus/index.js';
import { Heartbeat, machineName, newProcessId } from '../core/heartbeat.js';
import type { Logger } from '../core/logging/index.js';
import { Readiness } from '../core/metrics/index.js';
import type { RestSettings } from './settings.js';
import type { Store } from '../core/store/index.js';
import { buildRestApp } from './app.js';
import type { BackoffOptions } from './backoff.js';
import { FeedValidator } from '../core/wire/feed-validator.js';
import { indexBody, type IndexBody } from './health.js';
import { KafkaLink } from './kafka-link.js';
import { RedisLink } from './redis-link.js';
import { ReplyRouter } from './replies.js';
import { registerDashboard } from './ui/routes.js';
import { redisKeys } from '../core/wire/keys.js';
import { topicNames } from '../core/wire/topics.js';

export interface RestServiceOptions {
  settings: RestSettings;
  logger: Logger;
  /** Opens the Redis connection (retried with backoff until it succeeds). */
  connectStore: () => Promise<Store>;
  /** Opens the Kafka connection (retried with backoff; made again after a loss). */
  connectBus: () => Promise<Bus>;
  /** Reconnection delays; defaults to 0.5 s doubling up to 10 s. */
  backoff?: BackoffOptions;
  /** Period of the Kafka connection check (ms); defaults to KAFKA_CONSUMER_SLEEP_TIME. */
  kafkaCheckIntervalMs?: number;
  /** Period at which Redis losses and recoveries are noticed and logged (ms). */
  redisWatchIntervalMs?: number;
}

/** The heartbeat key the Redis Monitor's `rest` stats count. */
export const restHeartbeatKey = (id: string): string => redisKeys.selfStats('rest', machineName(), id);

/**
 * One REST node: the HTTP app, its Kafka and Redis connections (each made in the background and
 * remade after a loss), the reply router, and the heartbeat. Several nodes can serve behind a load
 * balancer: each reads every reply and stores the ones it does not wait for, so `/poll` works anywhere.
 */
export class RestService {
  readonly id = newProcessId();
  readonly startedAt = Date.now();
  readonly app: FastifyInstance;
  readonly redis: RedisLink;
  readonly kafka: KafkaLink;
  readonly replies: ReplyRouter;
  private heartbeat: Heartbeat | undefined;
  private closed = false;
  private readonly tally = { total: 0, byClass: {} as Record<string, number> };
  /** Redis and Kafka as the service's own connection checks see them (`/readyz`). */
  readonly readiness = new Readiness(
    {
      redis: () => Promise.resolve(this.redis.connected),
      kafka: () => Promise.resolve(this.kafka.connected),
    },
    { cacheMs: 500 },
  );

  constructor(private readonly options: RestServiceOptions) {
    const { settings, logger } = options;
    this.replies = new ReplyRouter({
      store: () => this.redis.store,
      pollTtl: settings.REST_POLL_TTL,
      logger,
    });
    this.redis = new RedisLink({
      connect: options.connectStore,
      logger,
      onConnected: (store) => this.startHeartbeat(store),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.redisWatchIntervalMs ? { watchIntervalMs: options.redisWatchIntervalMs } : {}),
      closeTimeoutMs: settings.DAEMON_THREAD_JOIN_TIMEOUT * 1000,
    });
    this.kafka = new KafkaLink({
      connect: options.connectBus,
      replyTopic: topicNames.outboundFirehose(settings.KAFKA_TOPIC_PREFIX),
      onReplies: (messages) => this.replies.handle(messages),
      fromBeginning: settings.KAFKA_CONSUMER_AUTO_OFFSET_RESET === 'earliest',
      logger,
      checkIntervalMs:
        options.kafkaCheckIntervalMs ?? Math.max(settings.KAFKA_CONSUMER_SLEEP_TIME, 0.1) * 1000,
      checkTimeoutMs: settings.KAFKA_FEED_TIMEOUT * 1000,
      closeTimeoutMs: settings.DAEMON_THREAD_JOIN_TIMEOUT * 1000,
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
    this.app = buildRestApp({
      settings,
      logger,
      kafka: this.kafka,
      redis: this.redis,
      replies: this.replies,
      health: () => this.health(),
      feedValidator: new FeedValidator(),
      observability: { live: () => !this.closed, readiness: this.readiness, tally: this.tally },
    });
    if (settings.REST_UI_ENABLED) registerDashboard(this.app, { settings, store: () => this.redis.store });
  }

  get settings(): RestSettings {
    return this.options.settings;
  }

  /** Starts connecting to Redis and Kafka in the background; the app answers meanwhile. */
  start(): this {
    this.redis.start();
    this.kafka.start();
    return this;
  }

  /** Resolves once both Redis and Kafka were connected once (tests; the service never needs it). */
  async connected(): Promise<void> {
    await Promise.all([this.redis.firstConnection(), this.kafka.firstConnection()]);
  }

  health(): IndexBody {
    return indexBody({
      kafka: this.kafka.connected,
      redis: this.redis.connected,
      myId: this.id,
      startedAt: this.startedAt,
    });
  }

  /** Listens on FLASK_PORT and REST_BIND unless given; returns the bound address. */
  async listen(options: { port?: number; host?: string } = {}): Promise<AddressInfo> {
    const { settings, logger } = this.options;
    await this.app.listen({
      port: options.port ?? settings.FLASK_PORT,
      host: options.host ?? settings.REST_BIND,
    });
    const address = this.app.server.address() as AddressInfo;
    logger.info('Rest service listening', { host: address.address, port: address.port, my_id: this.id });
    return address;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { logger } = this.options;
    logger.info('Closing Rest service');
    const classes = Object.entries(this.tally.byClass)
      .sort()
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ');
    logger.info(
      `Rest service stats: ${this.tally.total} requests (${classes || 'none'}) in ${Math.round((Date.now() - this.startedAt) / 1000)} s`,
      { requests: this.tally.total, by_status: this.tally.byClass },
    );
    await this.app.close();
    await this.kafka.close();
    await this.heartbeat?.stop();
    await this.redis.close();
  }

  private startHeartbeat(store: Store): void {
    const { settings, logger } = this.options;
    this.heartbeat = new Heartbeat(
      store,
      restHeartbeatKey(this.id),
      settings.HEARTBEAT_TIMEOUT,
      settings.SLEEP_TIME,
      logger,
    );
    this.heartbeat.start();
  }
}
