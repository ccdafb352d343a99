import { readFile } from 'node:fs/promises';
import { BadInputError, errorMessage } from '../errors.js';
import {
  MAX_NODE_BYTES,
  closeZookeeper,
  connectZookeeper,
  createNode,
  exists,
  isNodeExists,
  setData,
  withTimeout,
} from './client.js';
import { configNodePath, DEFAULT_CONFIG_ID, DEFAULT_CONFIG_PATH } from './paths.js';

export { DEFAULT_CONFIG_ID, DEFAULT_CONFIG_PATH };

export interface PushConfigOptions {
  /** ZooKeeper connection string, e.g. `localhost:2181`. */
  hosts: string;
  /** The file whose bytes become the node's contents; not needed with `wipe`. */
  file?: string;
  /** Parent path of the config node; default `/scrapy-cluster/crawler/`. */
  path?: string;
  /** Name of the config node: a spider id, or `all` (the default) for every crawler. */
  id?: string;
  /** Empty the node instead of pushing a file ("config wiped": crawlers revert to their defaults). */
  wipe?: boolean;
  /** Limit for connecting and for each request; default 10 000 ms. */
  timeoutMs?: number;
}

export interface PushConfigResult {
  /** Full path of the config node. */
  node: string;
  action: 'created' | 'updated' | 'wiped';
  /** Bytes written (0 for a wipe). */
  bytes: number;
}

async function readConfigFile(file: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    throw new BadInputError(`Cannot read config file ${file}: ${errorMessage(err)}`, { cause: err });
  }
  if (data.length > MAX_NODE_BYTES) {
    throw new BadInputError(
      `Config file ${file} has ${data.length} bytes; a ZooKeeper node holds at most ${MAX_NODE_BYTES}`,
    );
  }
  return data;
}

/**
 * The file_pusher of the original: writes a file into `path + id` (creating the node and its parents
 * when missing) or, with `wipe`, empties it. The bytes are written as they are (no YAML check), as
 * before; the crawlers parse them.
 */
export async function pushConfig(options: PushConfigOptions): Promise<PushConfigResult> {
  const node = configNodePath(options.path ?? DEFAULT_CONFIG_PATH, options.id ?? DEFAULT_CONFIG_ID);
  const wipe = options.wipe ?? false;
  if (!wipe && !options.file) throw new BadInputError('A config file is required unless wiping');
  const data = wipe ? Buffer.alloc(0) : await readConfigFile(options.file!);
  const timeoutMs = options.timeoutMs ?? 10_000;

  const client = await connectZookeeper(options.hosts, timeoutMs);
  const limit = <T>(p: Promise<T>, what: string): Promise<T> => withTimeout(p, timeoutMs, what);
  try {
    let created = false;
    if ((await limit(exists(client, node), `checking ${node}`)) === undefined) {
      try {
        await limit(createNode(client, node, data, { parents: true }), `creating ${node}`);
        created = true;
      } catch (err) {
        // Someone else created it in between: fall through to an update.
        if (!isNodeExists(err)) throw err;
      }
    }
    if (!created) await limit(setData(client, node, data), `writing ${node}`);
    return { node, action: wipe ? 'wiped' : created ? 'created' : 'updated', bytes: data.length };
  } finally {
    await closeZookeeper(client);
  }
}
