import { describe, expect, it } from 'vitest';
import { backoffDelay, retry } from './retry';

function failing(times: number, error: unknown = new Error('flaky')) {
  let calls = 0;
  return {
    attempts: () => calls,
    operation: async (attempt: number) => {
      calls += 1;
      if (attempt < times) throw error;
      return `ok after ${attempt}`;
    },
  };
}

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the bound', () => {
    const delays = [0, 1, 2, 3, 4, 5].map((retryNumber) => backoffDelay(retryNumber, { initialDelayMs: 500, maxDelayMs: 8000 }));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(backoffDelay(2, { initialDelayMs: 100, factor: 3 })).toBe(900);
  });
});

describe('retry', () => {
  it('retries with back-off until the operation succeeds', async () => {
    const pauses: number[] = [];
    const seen: number[] = [];
    const flaky = failing(3);
    const result = await retry(flaky.operation, {
      retries: 5,
      initialDelayMs: 500,
      maxDelayMs: 1500,
      pause: async (ms) => {
        pauses.push(ms);
      },
      onRetry: (_error, retryNumber) => seen.push(retryNumber),
    });
    expect(result).toBe('ok after 3');
    expect(pauses).toEqual([500, 1000, 1500]);
    expect(seen).toEqual([0, 1, 2]);
  });

  it('throws the last failure once the retries are used up', async () => {
    const flaky = failing(10);
    await expect(retry(flaky.operation, { retries: 3, initialDelayMs: 0, pause: async () => {} })).rejects.toThrow('flaky');
    expect(flaky.attempts()).toBe(4);
  });

  it('stops at once when shouldRetry says the failure will not go away', async () => {
    const refused = Object.assign(new Error('forbidden'), { status: 403 });
    const flaky = failing(10, refused);
    await expect(
      retry(flaky.operation, {
        retries: 3,
        initialDelayMs: 0,
        shouldRetry: (error) => (error as { status?: number }).status !== 403,
      }),
    ).rejects.toBe(refused);
    expect(flaky.attempts()).toBe(1);
  });

  it('stops when the signal aborts during a pause', async () => {
    const controller = new AbortController();
    const flaky = failing(10);
    const started = Date.now();
    const running = retry(flaky.operation, { retries: Number.POSITIVE_INFINITY, initialDelayMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(running).rejects.toThrow('flaky');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(flaky.attempts()).toBe(1);
  });
});
