import { BadInputError } from '../../core/errors.js';
import type { JsonObject } from '../../core/wire/validator.js';
import { BuiltInPlugin } from './built-in-plugin.js';
import type { Transaction } from './plugin.js';
import { redisKeys } from '../../core/wire/keys.js';

/** Domain config changes → `zk:<action>:<domain>:<appid>` = JSON, for the Redis Monitor. */
export class ZookeeperHandler extends BuiltInPlugin {
  readonly name = 'ZookeeperHandler';

  constructor() {
    super('ZookeeperHandler');
  }

  handle(request: JsonObject, tx: Transaction): undefined {
    const { action, domain, appid, uuid, hits, window, scale } = request as Record<string, string & number>;
    const value: JsonObject = { domain, uuid };
    if (action === 'domain-update') {
      // The original silently wrote nothing here, so the client never got a reply.
      if (!hits || !window) throw new BadInputError("'hits' and 'window' not set for domain update");
      Object.assign(value, { hits, scale, window });
    }
    tx.call(
      'SET',
      redisKeys.zookeeperRequest(String(action), String(domain), String(appid)),
      withFloatScale(JSON.stringify(value), value.scale),
    );
    this.logAdded(tx, 'Added zookeeper action to Redis', request);
    return undefined;
  }
}

/**
 * `scale` is a float in the original (ujson writes `1.0`, and its Redis Monitor writes it into the
 * ZooKeeper YAML as it reads it back): JSON.stringify would write the default `1.0` as `1`, which a
 * Python Redis Monitor would turn into the integer `scale: 1`.
 */
function withFloatScale(json: string, scale: unknown): string {
  if (typeof scale !== 'number' || !Number.isInteger(scale)) return json;
  return json.replace(`"scale":${scale}`, `"scale":${scale}.0`);
}
