/**
 * The executor's sense of time. Every deadline, back-off, heartbeat and poll of
 * `runExecutor()` reads and waits through this object, so tests can drive
 * time (pass `clock` in the options) instead of sleeping for real.
 */
import { setChunkedTimeout, sleepChunked } from './chunked-timer';

/** A pending timer of an `ExecutorClock`. */
export interface ExecutorTimer {
  /** Stops it; the callback will not run. Idempotent. */
  clear(): void;
}

export interface ExecutorClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts; never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `callback` once after `ms` (any length, `Infinity` never). */
  setTimeout(callback: () => void, ms: number): ExecutorTimer;
}

/** Real time: `Date.now()` and chunked timers (delays past 24.8 days are honoured). */
export const realClock: ExecutorClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleepChunked(ms, signal),
  setTimeout: (callback, ms) => setChunkedTimeout(callback, ms),
};
