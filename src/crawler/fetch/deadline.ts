/** The reason a Deadline aborts with; callers look at `timedOut`/`callerAborted`, not at this. */
export class DeadlineAbort extends Error {}

type Listener = () => void;

/**
 * The slice of AbortSignal that undici (and `abortable` below) use: `aborted`, `reason` and abort listeners.
 * An AbortController plus EventTarget per request showed up in profiles of the hot path; this costs an object.
 */
export class DeadlineSignal {
  aborted = false;
  reason: Error | undefined = undefined;
  private listeners: Listener[] | undefined;

  addEventListener(_type: 'abort', listener: Listener): void {
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: Listener): void {
    const list = this.listeners;
    const at = list ? list.indexOf(listener) : -1;
    if (at >= 0) list!.splice(at, 1);
  }

  fire(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const list = this.listeners;
    this.listeners = undefined;
    if (list) for (const listener of list) listener();
  }
}

/**
 * One abort signal for a whole fetch: it fires when the time limit passes or when the caller's own signal does,
 * and remembers which.
 */
export class Deadline {
  readonly signal = new DeadlineSignal();
  timedOut = false;
  callerAborted = false;
  private timer: NodeJS.Timeout | undefined;
  private parent: AbortSignal | undefined;
  private onParentAbort: Listener | undefined;

  constructor(timeoutMs: number, parent?: AbortSignal) {
    if (parent) {
      if (parent.aborted) {
        this.callerAborted = true;
        this.signal.fire(new DeadlineAbort('aborted by the caller'));
        return;
      }
      this.parent = parent;
      this.onParentAbort = () => {
        this.callerAborted = true;
        this.signal.fire(new DeadlineAbort('aborted by the caller'));
      };
      parent.addEventListener('abort', this.onParentAbort, { once: true });
    }
    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      this.timer = setTimeout(expire, timeoutMs, this);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.parent && this.onParentAbort) this.parent.removeEventListener('abort', this.onParentAbort);
  }
}

function expire(deadline: Deadline): void {
  deadline.timedOut = true;
  deadline.signal.fire(new DeadlineAbort('deadline passed'));
}

/** Waits for `promise`, or rejects as soon as `signal` fires (the promise itself keeps running). */
export function abortable<T>(promise: Promise<T>, signal: DeadlineSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort);
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

function abortReason(signal: DeadlineSignal): Error {
  return signal.reason ?? new DeadlineAbort('aborted');
}
