import type { Store } from '../../core/store/index.js';

/**
 * The domain config in force (the ZooKeeper document, YAML) as the crawlers last read it, copied to Redis
 * when it changes so the dashboard can show throttles and blacklisted domains without a ZooKeeper client.
 */
export const DOMAIN_CONFIG_KEY = 'sc:domain-config';

export async function publishDomainConfig(store: Store, contents: string): Promise<void> {
  await store
    .pipeline()
    .call('SET', DOMAIN_CONFIG_KEY, contents)
    .call('SET', `${DOMAIN_CONFIG_KEY}:at`, String(Date.now() / 1000))
    .exec()
    .catch(() => undefined);
}
