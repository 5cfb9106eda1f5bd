/**
 * Timers for delays of any length. Node's `setTimeout` takes at most
 * 2^31 − 1 ms (~24.8 days): a longer delay, or `Infinity`, fires after 1 ms
 * with only a warning, so a job with a long walltime or maxexectime was
 * stopped at once (issue #13, case 6). These helpers wait in chunks below
 * that limit until the whole delay has passed.
 */

/** The longest delay one `setTimeout` honours. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A pending chunked timer. */
export interface ChunkedTimer {
  /** Stops it; the callback will not run. Idempotent. */
  clear(): void;
}

/**
 * Calls `callback` once `delayMs` has passed, however long that is (a
 * non-finite delay never fires; a negative or NaN one fires at once, as
 * `setTimeout`). `unref` keeps the timer from holding the process open.
 */
export function setChunkedTimeout(callback: () => void, delayMs: number, options: { unref?: boolean } = {}): ChunkedTimer {
  const due = Date.now() + (Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs));
  let timer: NodeJS.Timeout | undefined;
  let cleared = false;
  const arm = () => {
    if (cleared) return;
    const remaining = due - Date.now();
    if (remaining <= 0) {
      cleared = true;
      callback();
      return;
    }
    if (!Number.isFinite(remaining)) return; // Infinity: never
    timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_DELAY_MS));
    if (options.unref) timer.unref();
  };
  arm();
  return {
    clear() {
      cleared = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** Resolves after `ms` (chunked, see `setChunkedTimeout`) or as soon as `signal` aborts. */
export function sleepChunked(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      timer.clear();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setChunkedTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
