import { setTimeout as setTimeoutPromise } from 'node:timers/promises';
import { MAX_TIMER_DELAY_MS, sleepChunked } from './chunked-timer';

/**
 * Resolves after `ms`, or at once when `signal` aborts; never rejects, so a
 * polling loop just checks `signal.aborted` after it. Delays longer than one
 * `setTimeout` can hold (~24.8 days) wait in chunks instead of firing at once.
 */
export async function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  if (ms > MAX_TIMER_DELAY_MS) return sleepChunked(ms, signal);
  try {
    await setTimeoutPromise(Math.max(0, ms), undefined, signal === undefined ? undefined : { signal });
  } catch (error) {
    // An abort ends the wait early; anything else is a real failure.
    if (!signal?.aborted) throw error;
  }
}
