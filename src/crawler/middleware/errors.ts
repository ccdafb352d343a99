import { errorMessage, RequestFailure } from '../../core/errors.js';

/** Why a user extension failed a request: the `reason` of its failure record. */
export type ExtensionFailure = 'pipeline-error' | 'middleware-error' | 'middleware-timeout';

/**
 * A pipeline or middleware that threw, returned something unusable, or did not answer in time. Never
 * retryable: the same code would fail the same way, so the request ends with one failure record naming the
 * component (the engine treats it as any other definite failure).
 */
export class ExtensionError extends RequestFailure {
  declare readonly reason: ExtensionFailure;

  /** The component that failed (its ITEM_PIPELINES / *_MIDDLEWARES key). */
  readonly component: string;

  constructor(reason: ExtensionFailure, message: string, options: { cause?: unknown; component: string }) {
    super('SC_EXTENSION_FAILED', reason, message, false, options);
    this.component = options.component;
  }
}

/**
 * Runs one hook of a user component, bounded by `ms` (DOWNLOAD_TIMEOUT) so a hang cannot hold a lease
 * forever; a throw or a timeout becomes an ExtensionError naming `what` (setting, component and method).
 */
export async function runHook<T>(
  where: { setting: string; component: string; method: string },
  ms: number,
  hook: () => T | Promise<T>,
  reason: 'pipeline-error' | 'middleware-error' = 'middleware-error',
): Promise<T> {
  const what = `${where.setting} ${where.component}.${where.method}`;
  const { component } = where;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(hook),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ExtensionError(
                reason === 'pipeline-error' ? reason : 'middleware-timeout',
                `${what} did not answer within ${Math.round(ms / 1000)} s`,
                { component },
              ),
            ),
          ms,
        );
      }),
    ]);
  } catch (err) {
    if (err instanceof ExtensionError || isDropItem(err)) throw err;
    throw new ExtensionError(reason, `${what} failed: ${errorMessage(err)}`, { cause: err, component });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether a pipeline dropped the item. Known by name rather than by class: a user module importing
 * `DropItem` from the installed package may hold another copy of the class than the running crawler
 * (tsx from the sources, a global install), and a drop must not turn into a failure because of that.
 */
export function isDropItem(err: unknown): err is Error {
  return err instanceof Error && err.name === 'DropItem';
}
