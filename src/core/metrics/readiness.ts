/** One dependency check: resolves true when the connection works now. */
export type DependencyCheck = () => Promise<boolean>;

export interface ReadinessReport {
  ready: boolean;
  /** Each dependency: `up` or `down`. */
  checks: Record<string, 'up' | 'down'>;
  /** The dependencies that are down, named (empty when ready). */
  down: string[];
}

/** Resolves false when `promise` does not resolve true within `ms`. Never throws. */
export function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value !== false);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}

/**
 * The answer of `/readyz`: every named dependency (Redis, Kafka, ZooKeeper) checked with a short timeout.
 * Answers are cached for `cacheMs`, so probes in a tight loop cost the servers one cheap call per
 * dependency per second or two, and a probe never waits longer than the timeout.
 */
export class Readiness {
  private cached: { at: number; report: ReadinessReport } | undefined;
  private pending: Promise<ReadinessReport> | undefined;

  constructor(
    private readonly checks: Record<string, DependencyCheck>,
    private readonly options: { cacheMs?: number; timeoutMs?: number } = {},
  ) {}

  async report(): Promise<ReadinessReport> {
    const cacheMs = this.options.cacheMs ?? 1500;
    if (this.cached && Date.now() - this.cached.at < cacheMs) return this.cached.report;
    this.pending ??= this.run().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async run(): Promise<ReadinessReport> {
    const timeoutMs = this.options.timeoutMs ?? 1000;
    const names = Object.keys(this.checks);
    const results = await Promise.all(
      names.map((name) =>
        within(
          Promise.resolve().then(() => this.checks[name]!()),
          timeoutMs,
        ),
      ),
    );
    const checks: Record<string, 'up' | 'down'> = {};
    names.forEach((name, i) => (checks[name] = results[i] ? 'up' : 'down'));
    const down = names.filter((_, i) => !results[i]);
    const report = { ready: down.length === 0, checks, down };
    this.cached = { at: Date.now(), report };
    return report;
  }
}
