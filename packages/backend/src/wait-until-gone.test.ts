import { describe, expect, it } from 'vitest';
import { waitUntilGone } from './wait-until-gone';

describe('waitUntilGone', () => {
  it('polls until the platform reports nothing left', async () => {
    const answers = ['RUNNING', 'COMPLETING', undefined];
    const pauses: number[] = [];
    const gone = await waitUntilGone({
      remaining: () => answers.shift(),
      timeoutMs: 10_000,
      intervalMs: 100,
      pause: async (ms) => {
        pauses.push(ms);
      },
    });
    expect(gone).toBe(true);
    expect(pauses).toEqual([100, 100]);
  });

  it('throws the backend’s error with what is left once the time is up', async () => {
    let now = 0;
    await expect(
      waitUntilGone({
        remaining: async () => '1 pod(s): p-1',
        timeoutMs: 1000,
        intervalMs: 250,
        now: () => now,
        pause: async (ms) => {
          now += ms;
        },
        timeoutError: (left) => new Error(`still there after 1 s: ${left}`),
      }),
    ).rejects.toThrow('still there after 1 s: 1 pod(s): p-1');
    expect(now).toBe(1000);
  });

  it('resolves false on timeout when no error is wanted, and waits with delay by default', async () => {
    const started = Date.now();
    await expect(waitUntilGone({ remaining: () => 'alive', timeoutMs: 60, intervalMs: 20 })).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });
});
