import type { Store } from '../../core/store/index.js';
import { redisKeys } from '../../core/wire/keys.js';

/**
 * The domain config in force (the ZooKeeper document, YAML) as the crawlers last read it, copied to Redis
 * when it changes so the dashboard can show throttles and blacklisted domains without a ZooKeeper client.
 */
export async function publishDomainConfig(store: Store, contents: string): Promise<void> {
  await store
    .pipeline()
    .call('SET', redisKeys.domainConfigCopy, contents)
    .call('SET', redisKeys.domainConfigCopyAt, String(Date.now() / 1000))
    .exec()
    .catch(() => undefined);
}
