/** A download could not get room for its body in the shared budget (DOWNLOAD_MAXSIZE_TOTAL). */
export class BudgetExceeded extends Error {
  constructor(
    readonly budget: number,
    /** `larger`: the body alone passes the budget; `exhausted`: every holder was waiting for room. */
    readonly kind: 'larger' | 'exhausted',
  ) {
    super(
      kind === 'larger'
        ? `body larger than the in-flight budget of ${budget} bytes`
        : `the in-flight budget of ${budget} bytes is taken by downloads that all wait for more`,
    );
  }
}

/** The slice of an abort signal a wait needs (AbortSignal and the fetcher's DeadlineSignal both fit). */
export interface WaitSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

interface Waiter {
  reservation: Reservation;
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  signal: WaitSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * A budget of body bytes held at once by all downloads of a process (DOWNLOAD_MAXSIZE_TOTAL), so memory
 * stays bounded however many large responses arrive together. Each download opens a reservation and takes
 * bytes as they arrive; when the budget is full it waits (its stream paused) for others to finish.
 *
 * No deadlock: a body that alone passes the budget fails at once, and when every download holding bytes is
 * waiting for more (nothing would ever be freed), the one holding the most fails, which frees its bytes for
 * the others. Waiters are served in order, so a large body is not starved by a stream of small ones.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiters: Waiter[] = [];
  private readonly holders = new Set<Reservation>();

  /** `total` 0 means no budget: every take succeeds at once. */
  constructor(readonly total: number) {}

  /** Bytes held now by all reservations. */
  get inUse(): number {
    return this.used;
  }

  /** Reservations waiting for room now. */
  get waiting(): number {
    return this.waiters.length;
  }

  open(): Reservation {
    return new Reservation(this);
  }

  /** @internal */
  take(reservation: Reservation, bytes: number, signal?: WaitSignal): void | Promise<void> {
    if (this.total <= 0 || bytes <= 0) {
      reservation.held += bytes;
      return;
    }
    if (reservation.held + bytes > this.total) throw new BudgetExceeded(this.total, 'larger');
    if (this.waiters.length === 0 && this.used + bytes <= this.total) {
      this.grant(reservation, bytes);
      return;
    }
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { reservation, bytes, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          if (this.remove(waiter)) {
            reject(abortReason(signal));
            this.pump();
          }
        };
        signal.addEventListener('abort', waiter.onAbort);
      }
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** @internal */
  release(reservation: Reservation): void {
    const waiter = this.waiters.find((w) => w.reservation === reservation);
    if (waiter && this.remove(waiter)) waiter.reject(new Error('reservation released while waiting'));
    if (this.total > 0) this.used -= reservation.held;
    reservation.held = 0;
    this.holders.delete(reservation);
    this.pump();
  }

  private grant(reservation: Reservation, bytes: number): void {
    this.used += bytes;
    reservation.held += bytes;
    this.holders.add(reservation);
  }

  private remove(waiter: Waiter): boolean {
    const at = this.waiters.indexOf(waiter);
    if (at < 0) return false;
    this.waiters.splice(at, 1);
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    return true;
  }

  /** Serves waiters in order while there is room, then breaks a standstill if there is one. */
  private pump(): void {
    for (;;) {
      while (this.waiters.length > 0 && this.used + this.waiters[0]!.bytes <= this.total) {
        const waiter = this.waiters[0]!;
        this.remove(waiter);
        this.grant(waiter.reservation, waiter.bytes);
        waiter.resolve();
      }
      if (this.waiters.length === 0 || !this.standstill()) return;
      // Every holder waits: fail the biggest, whose bytes then go to the others.
      let victim = this.waiters[0]!;
      for (const w of this.waiters) if (w.reservation.held > victim.reservation.held) victim = w;
      this.remove(victim);
      this.used -= victim.reservation.held;
      victim.reservation.held = 0;
      this.holders.delete(victim.reservation);
      victim.reject(new BudgetExceeded(this.total, 'exhausted'));
    }
  }

  /** True when no holder is still reading: nobody would free bytes, so the waiters would wait forever. */
  private standstill(): boolean {
    if (this.holders.size === 0) return false;
    for (const holder of this.holders) {
      if (!this.waiters.some((w) => w.reservation === holder)) return false;
    }
    return true;
  }
}

/** One download's share of a ByteBudget; `release` when the body is read (or its read failed). */
export class Reservation {
  /** @internal */
  held = 0;
  /** Bytes reserved ahead (a declared Content-Length) that later takes use first. */
  private credit = 0;

  constructor(private readonly budget: ByteBudget) {}

  get bytes(): number {
    return this.held;
  }

  /** Takes `bytes` more: returns at once when there is room, else a promise that settles when there is. */
  take(bytes: number, signal?: WaitSignal): void | Promise<void> {
    if (this.credit > 0) {
      const used = Math.min(this.credit, bytes);
      this.credit -= used;
      bytes -= used;
      if (bytes === 0) return;
    }
    return this.budget.take(this, bytes, signal);
  }

  /**
   * Takes a body's whole declared size before reading it, so bodies of known size wait for room as a whole
   * instead of filling the budget with halves that then wait for each other.
   */
  async reserve(bytes: number, signal?: WaitSignal): Promise<void> {
    await this.budget.take(this, bytes, signal);
    this.credit += bytes;
  }

  release(): void {
    this.credit = 0;
    this.budget.release(this);
  }
}

function abortReason(signal: WaitSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
