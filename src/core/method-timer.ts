import { TimeoutError } from './errors.js';

/**
 * Runs `fn` with a time limit (the original MethodTimer, without SIGALRM). When `seconds` pass first, the
 * result is `fallback` and `signal` is aborted with a TimeoutError so `fn` can stop its work; when `fn`
 * settles first, the timer is cleared. Errors thrown by `fn` before the limit propagate.
 */
export function withTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  seconds: number,
  fallback: T,
): Promise<T> {
  if (!(seconds >= 0)) throw new RangeError(`timeout must be a number of seconds >= 0, got ${seconds}`);
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      resolve(fallback);
      controller.abort(new TimeoutError(`did not finish within ${seconds} s`));
    }, seconds * 1000);
    const settle =
      <V>(done: (value: V) => void) =>
      (value: V) => {
        clearTimeout(timer);
        done(value);
      };
    // Promise.resolve().then keeps a synchronous throw inside fn from escaping as an exception.
    Promise.resolve()
      .then(() => fn(controller.signal))
      .then(settle(resolve), settle(reject));
  });
}

/**
 * The decorator form: wraps a function taking `(signal, ...args)` into one taking `(...args)` that
 * resolves to `fallback` when it runs longer than `seconds`.
 */
export function timeout<T>(seconds: number, fallback: T) {
  return <A extends unknown[]>(fn: (signal: AbortSignal, ...args: A) => Promise<T>) =>
    (...args: A): Promise<T> =>
      withTimeout((signal) => fn(signal, ...args), seconds, fallback);
}
