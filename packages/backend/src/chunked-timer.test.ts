import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY_MS, setChunkedTimeout, sleepChunked } from './chunked-timer';

afterEach(() => {
  vi.useRealTimers();
});

describe('setChunkedTimeout', () => {
  // Issue #13, case 6: a plain setTimeout above 2^31 - 1 ms fires after 1 ms.
  it('waits the whole delay when it is longer than one setTimeout can hold', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const day = 24 * 3600 * 1000;
    setChunkedTimeout(fired, 365 * day);
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS + 1000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(300 * day);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(65 * day);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('fires short delays as setTimeout, never fires Infinity, and can be cleared', () => {
    vi.useFakeTimers();
    const short = vi.fn();
    const never = vi.fn();
    const cleared = vi.fn();
    setChunkedTimeout(short, 50);
    setChunkedTimeout(never, Infinity);
    setChunkedTimeout(cleared, 50).clear();
    vi.advanceTimersByTime(60);
    expect(short).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10 * MAX_TIMER_DELAY_MS);
    expect(never).not.toHaveBeenCalled();
    expect(cleared).not.toHaveBeenCalled();
  });
});

describe('sleepChunked', () => {
  it('resolves at once when the signal aborts during a long sleep', async () => {
    const controller = new AbortController();
    const sleeping = sleepChunked(10 * MAX_TIMER_DELAY_MS, controller.signal);
    controller.abort();
    await expect(sleeping).resolves.toBeUndefined();
  });
});
