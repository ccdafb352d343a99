import type { JsonObject } from '../validator.js';
import { BuiltInPlugin } from './built-in-plugin.js';
import type { Transaction } from './plugin.js';

/** Stats requests → `statsrequest:<stats>:<appid>` = uuid, for the Redis Monitor. */
export class StatsHandler extends BuiltInPlugin {
  readonly name = 'StatsHandler';

  constructor() {
    super('stats_schema.json');
  }

  handle(request: JsonObject, tx: Transaction): undefined {
    const { stats, appid, uuid } = request as Record<string, string>;
    tx.call('SET', `statsrequest:${stats}:${appid}`, String(uuid));
    this.logAdded(tx, 'Added stat request to Redis', request);
    return undefined;
  }
}
