import { BadInputError } from '../../core/errors.js';
import type { JsonObject } from '../validator.js';
import { BuiltInPlugin } from './built-in-plugin.js';
import type { Transaction } from './plugin.js';

/** Domain config changes → `zk:<action>:<domain>:<appid>` = JSON, for the Redis Monitor. */
export class ZookeeperHandler extends BuiltInPlugin {
  readonly name = 'ZookeeperHandler';

  constructor() {
    super('zookeeper_schema.json');
  }

  handle(request: JsonObject, tx: Transaction): undefined {
    const { action, domain, appid, uuid, hits, window, scale } = request as Record<string, string & number>;
    const value: JsonObject = { domain, uuid };
    if (action === 'domain-update') {
      // The original silently wrote nothing here, so the client never got a reply.
      if (!hits || !window) throw new BadInputError("'hits' and 'window' not set for domain update");
      Object.assign(value, { hits, scale, window });
    }
    tx.call('SET', `zk:${action}:${domain}:${appid}`, JSON.stringify(value));
    this.logAdded(tx, 'Added zookeeper action to Redis', request);
    return undefined;
  }
}
