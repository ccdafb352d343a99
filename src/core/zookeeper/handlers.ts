import { errorMessage } from '../errors.js';

export interface WatcherHandlers {
  /** Called with the new state each time the watched file turns valid or invalid. */
  validHandler?: ((valid: boolean) => void) | undefined;
  /** Called with the new contents each time they really change. */
  configHandler?: ((contents: string) => void) | undefined;
  /** Called with a one-line description of each problem (connection loss, bad pointer, ...). */
  errorHandler?: ((message: string) => void) | undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Invokes the user's handlers so that nothing they do (throw, return a rejected promise) can reach the
 * watcher's connection or timer callbacks, where an exception would kill the watch loop or the process.
 * Failures of the valid/config handlers are reported through the error handler; a failing error handler
 * has nowhere left to report to and is ignored.
 */
export class HandlerSet {
  constructor(private readonly handlers: WatcherHandlers) {}

  valid(valid: boolean): void {
    this.call('validHandler', this.handlers.validHandler, valid);
  }

  config(contents: string): void {
    this.call('configHandler', this.handlers.configHandler, contents);
  }

  error(message: string): void {
    const handler = this.handlers.errorHandler;
    if (!handler) return;
    try {
      const result: unknown = handler(message);
      if (isThenable(result)) result.then(undefined, () => undefined);
    } catch {
      // Deliberately ignored: see the class comment.
    }
  }

  private call<T>(name: string, handler: ((arg: T) => void) | undefined, arg: T): void {
    if (!handler) return;
    try {
      const result: unknown = handler(arg);
      if (isThenable(result)) {
        result.then(undefined, (err: unknown) => this.error(`${name} failed: ${errorMessage(err)}`));
      }
    } catch (err) {
      this.error(`${name} failed: ${errorMessage(err)}`);
    }
  }
}
