import type { JsonObject } from '../../core/wire/validator.js';
import { BuiltInPlugin } from './built-in-plugin.js';
import type { Transaction } from './plugin.js';

/** Info and stop requests → `<action>:<spiderid>:<appid>[:<crawlid>]` = uuid, for the Redis Monitor. */
export class ActionHandler extends BuiltInPlugin {
  readonly name = 'ActionHandler';

  constructor() {
    super('ActionHandler');
  }

  handle(request: JsonObject, tx: Transaction): undefined {
    const { action, spiderid, appid, crawlid, uuid } = request as Record<string, string | undefined>;
    const key = `${action}:${spiderid}:${appid}${crawlid === undefined ? '' : `:${crawlid}`}`;
    tx.call('SET', key, String(uuid));
    this.logAdded(tx, 'Added action to Redis', request);
    return undefined;
  }
}
