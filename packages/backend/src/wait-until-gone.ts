import { delay } from './delay';

export interface WaitUntilGoneOptions {
  /**
   * Asks the platform what is left of the job: `undefined` once it is gone,
   * else a short description for the timeout message (`"COMPLETING"`, `"2 pod(s): a, b"`).
   */
  remaining(): Promise<string | undefined> | string | undefined;
  /** Gives up after this long, ms. */
  timeoutMs: number;
  /** Pause between two looks, ms (default 250). */
  intervalMs?: number;
  /** How to pause (default `delay`); e.g. "until the watch cache changes, at most `ms`". */
  pause?: (ms: number) => Promise<unknown>;
  /** The error thrown on timeout, given what was still there; without it the wait resolves `false`. */
  timeoutError?(remaining: string): Error;
  /** The clock, ms (tests inject one). Default `Date.now`. */
  now?: () => number;
}

/**
 * The second half of every backend's `cancel()`: after asking the platform to
 * stop the job, poll until it confirms the job is gone (the contract: cancel
 * resolves only then). Resolves `true` once gone; on timeout throws
 * `timeoutError(…)`, or resolves `false` when there is none.
 */
export async function waitUntilGone(options: WaitUntilGoneOptions): Promise<boolean> {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 250;
  const pause = options.pause ?? ((ms: number) => delay(ms));
  const deadline = now() + options.timeoutMs;
  for (;;) {
    const remaining = await options.remaining();
    if (remaining === undefined) return true;
    if (now() >= deadline) {
      if (options.timeoutError) throw options.timeoutError(remaining);
      return false;
    }
    await pause(Math.max(0, Math.min(intervalMs, deadline - now())));
  }
}
