import { delay } from './delay';

/** How long to wait before each retry: `initialDelayMs`, doubling (× `factor`) up to `maxDelayMs`. */
export interface BackoffOptions {
  /** Delay before the first retry, ms. */
  initialDelayMs: number;
  /** No delay is longer, ms. Default: no bound. */
  maxDelayMs?: number;
  /** Growth per retry. Default 2. */
  factor?: number;
}

/** The delay before retry number `retry` (0 = the first retry). */
export function backoffDelay(retry: number, options: BackoffOptions): number {
  const grown = options.initialDelayMs * (options.factor ?? 2) ** Math.max(0, retry);
  return Math.min(grown, options.maxDelayMs ?? Number.POSITIVE_INFINITY);
}

export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt (so `retries + 1` attempts at most). `Infinity`: until it works or the signal aborts. */
  retries: number;
  /** False stops at once (the failure will not go away: a 4xx reply, a closed process). Default: every failure is retried. */
  shouldRetry?(error: unknown, retry: number): boolean;
  /** Told about each failure that will be retried, before the pause. */
  onRetry?(error: unknown, retry: number, delayMs: number): void;
  /** Aborting stops the retries: the last failure is thrown. */
  signal?: AbortSignal;
  /** How to pause (default `delay`; tests inject one). */
  pause?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
}

/**
 * Runs `operation` until it succeeds, retrying failures with back-off. Throws
 * the last failure once the retries are used up, `shouldRetry` says no, or
 * `signal` aborts. `operation` gets the attempt number (0 = the first).
 */
export async function retry<Result>(operation: (attempt: number) => Promise<Result>, options: RetryOptions): Promise<Result> {
  const pause = options.pause ?? delay;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      const retryNumber = attempt;
      const willRetry =
        retryNumber < options.retries && !options.signal?.aborted && (options.shouldRetry?.(error, retryNumber) ?? true);
      if (!willRetry) throw error;
      const delayMs = backoffDelay(retryNumber, options);
      options.onRetry?.(error, retryNumber, delayMs);
      await pause(delayMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}
