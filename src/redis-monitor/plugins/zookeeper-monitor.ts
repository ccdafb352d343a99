import { BadInputError } from '../../core/errors.js';
import { configNodePath } from '../../core/zookeeper/index.js';
import { KafkaBaseMonitor, logDict, type RedisMonitorContext } from '../plugin.js';
import { ZookeeperConfigNode, type ConfigNode } from '../zookeeper/config-node.js';
import { updateDomainConfig, type DomainConfigDocument } from '../zookeeper/domain-config.js';
import type { PyYamlValue } from '../zookeeper/pyyaml.js';

const ACTIONS = new Set(['domain-update', 'domain-remove', 'blacklist-update', 'blacklist-remove']);

/** A whole JSON number as a YAML integer, anything else as a float (PyYAML writes `60` vs `60.0`). */
function yamlInt(value: number): PyYamlValue {
  return Number.isSafeInteger(value) ? BigInt(value) : value;
}

export interface ZookeeperMonitorOptions {
  /** The config node to edit; default the ZooKeeper node ZOOKEEPER_ASSIGN_PATH + ZOOKEEPER_ID. */
  node?: ConfigNode;
}

/**
 * Domain config changes, `zk:<action>:<domain>:<appid>` = JSON `{uuid, domain[, hits, scale, window]}`
 * (facts 8.5, seed 2.3.5): rewrites the YAML node the crawlers watch, in PyYAML's block style, and
 * replies. Changes of concurrent monitors are never lost (compare-and-set on the node version), and a
 * node that cannot be read or parsed is left alone (reply `error: "Unable to load Zookeeper config"`).
 */
export class ZookeeperMonitor extends KafkaBaseMonitor {
  readonly name: string = 'ZookeeperMonitor';
  readonly pattern: string = 'zk:*:*:*';
  private node: ConfigNode | undefined;

  constructor(options: ZookeeperMonitorOptions = {}) {
    super();
    this.node = options.node;
  }

  override setup(context: RedisMonitorContext): void {
    super.setup(context);
    if (!this.node) {
      const { ZOOKEEPER_HOSTS, ZOOKEEPER_ASSIGN_PATH, ZOOKEEPER_ID } = context.settings;
      const node = new ZookeeperConfigNode(
        ZOOKEEPER_HOSTS,
        configNodePath(ZOOKEEPER_ASSIGN_PATH, ZOOKEEPER_ID),
        context.logger,
      );
      this.node = node;
      // Connect in the background: the monitor starts (and expires crawls) while ZooKeeper is away.
      void node.open();
    }
  }

  async handle(key: string, value: string): Promise<void> {
    const [, action = '', domain = '', appid = ''] = key.split(':');
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(value) as Record<string, unknown>;
    } catch {
      throw new BadInputError(`Zookeeper request ${key} is not JSON: ${value}`);
    }
    if (typeof request !== 'object' || request === null)
      throw new BadInputError(`Zookeeper request ${key} is not an object`);
    const uuid = request.uuid;
    const master: Record<string, unknown> = {
      uuid,
      server_time: this.serverTime(),
      action,
      domain,
      appid,
    };
    const extras = logDict(action, appid, { uuid: String(uuid) });
    this.logger.info('Received zookeeper request', extras);

    const change = this.changeFor(action, domain, request);
    if (change) {
      const result = await updateDomainConfig(this.node!, change);
      if (!result.ok) {
        this.logger.error(result.error, { ...extras, reason: result.reason });
        master.error = result.error;
      }
    } else {
      this.logger.warning('Unknown command given to Zookeeper Monitor', extras);
    }
    await this.deliver(master);
    this.logger.info('Sent zookeeper update to kafka', { ...extras, success: true });
  }

  private changeFor(
    action: string,
    domain: string,
    request: Record<string, unknown>,
  ): ((config: DomainConfigDocument) => void) | undefined {
    if (!ACTIONS.has(action)) return undefined;
    if (action === 'domain-update') {
      const { hits, window } = request;
      if (typeof hits !== 'number' || typeof window !== 'number')
        throw new BadInputError("'hits' and 'window' not set for domain update");
      const scale = typeof request.scale === 'number' ? request.scale : 1.0;
      // A scale is a float in the original (`1.0`); hits and window are integers.
      return (config) => {
        config.domains[domain] = { window: yamlInt(window), hits: yamlInt(hits), scale };
      };
    }
    if (action === 'domain-remove') return (config) => void delete config.domains[domain];
    if (action === 'blacklist-update')
      return (config) => {
        if (!config.blacklist.includes(domain)) config.blacklist.push(domain);
      };
    return (config) => {
      config.blacklist = config.blacklist.filter((d) => d !== domain);
    };
  }

  async close(): Promise<void> {
    await this.node?.close();
  }
}
