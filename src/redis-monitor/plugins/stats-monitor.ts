import { KafkaBaseMonitor, logDict, type RedisMonitorContext } from '../plugin.js';
import { ClusterStats } from '../stats/cluster-stats.js';

/**
 * Stats requests, `statsrequest:<stats>:<appid>` = uuid (facts 8.5, seed 2.3.4): `kafka-monitor`,
 * `redis-monitor`, `crawler`, `spider`, `machine`, `queue`, `rest` or `all`, built from the stats and
 * heartbeat keys of every component. An unknown type gets a warning and no reply.
 */
export class StatsMonitor extends KafkaBaseMonitor {
  readonly name: string = 'StatsMonitor';
  readonly pattern: string = 'statsrequest:*:*';
  protected stats!: ClusterStats;

  override setup(context: RedisMonitorContext): void {
    super.setup(context);
    this.stats = new ClusterStats(context.store, context.logger);
  }

  async handle(key: string, value: string): Promise<void> {
    const [, type = '', appid = ''] = key.split(':');
    const extras = logDict('stats', appid, { uuid: value });
    this.logger.info(`Received ${type} stats request`, extras);
    const body = await this.stats.forType(type);
    if (body === undefined) {
      this.logger.warning(`Received invalid stats request: ${type}`, extras);
      return;
    }
    const reply = { ...body, stats: type, appid, uuid: value, server_time: this.serverTime() };
    await this.deliver(reply);
    this.logger.info('Sent stats to kafka', { ...extras, success: true });
  }
}
