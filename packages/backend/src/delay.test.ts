import { describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY_MS } from './chunked-timer';
import { delay } from './delay';

describe('delay', () => {
  it('resolves after the delay', async () => {
    const started = Date.now();
    await delay(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('resolves at once, without rejecting, when the signal is already aborted or aborts', async () => {
    const aborted = AbortSignal.abort();
    await expect(delay(60_000, aborted)).resolves.toBeUndefined();
    const controller = new AbortController();
    const waiting = delay(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).resolves.toBeUndefined();
  });

  it('treats a negative delay as zero', async () => {
    await expect(delay(-5)).resolves.toBeUndefined();
  });

  it('waits the whole of a delay longer than one setTimeout can hold', async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      void delay(MAX_TIMER_DELAY_MS + 10_000).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY_MS);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(20_000);
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
