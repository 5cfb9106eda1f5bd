import { describe, expect, it } from 'vitest';
import { createProgressReporter } from './apply-progress';
import type { SyncEvent } from './apply-types';

describe('createProgressReporter', () => {
  it('throttles progress events to the interval; flush always reports the totals so far', () => {
    const events: SyncEvent[] = [];
    const reporter = createProgressReporter({ emit: (event) => events.push(event), filesTotal: 2, bytesTotal: 100, intervalMs: 1e12, started: performance.now() });
    reporter.onBytes(40);
    reporter.fileDone();
    expect(events).toEqual([]);
    reporter.flush();
    expect(events).toEqual([expect.objectContaining({ type: 'progress', filesDone: 1, filesTotal: 2, bytesDone: 40, bytesTotal: 100 })]);
  });

  it('with no interval reports every step, with a rate and an ETA once bytes have moved', () => {
    const events: SyncEvent[] = [];
    const reporter = createProgressReporter({ emit: (event) => events.push(event), filesTotal: 1, bytesTotal: 10, intervalMs: 0, started: performance.now() - 1000 });
    reporter.onBytes(5);
    reporter.onBytes(5);
    reporter.fileDone();
    expect(events).toHaveLength(3);
    const last = events.at(-1) as Extract<SyncEvent, { type: 'progress' }>;
    expect(last).toMatchObject({ filesDone: 1, bytesDone: 10, etaSeconds: 0 });
    expect(last.bytesPerSecond).toBeGreaterThan(0);
  });
});
