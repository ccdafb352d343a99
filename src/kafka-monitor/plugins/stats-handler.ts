import type { JsonObject } from '../../core/wire/validator.js';
import { BuiltInPlugin } from './built-in-plugin.js';
import type { Transaction } from './plugin.js';
import { redisKeys } from '../../core/wire/keys.js';

/** Stats requests → `statsrequest:<stats>:<appid>` = uuid, for the Redis Monitor. */
export class StatsHandler extends BuiltInPlugin {
  readonly name = 'StatsHandler';

  constructor() {
    super('StatsHandler');
  }

  handle(request: JsonObject, tx: Transaction): undefined {
    const { stats, appid, uuid } = request as Record<string, string>;
    tx.call('SET', redisKeys.statsRequest(String(stats), String(appid)), String(uuid));
    this.logAdded(tx, 'Added stat request to Redis', request);
    return undefined;
  }
}
