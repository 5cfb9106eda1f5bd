import { describe, expect, it } from 'vitest';
import { createKeyedLock } from './keyed-lock';

describe('createKeyedLock', () => {
  it('runs work for one key one at a time, in order, and other keys alongside', async () => {
    const withLock = createKeyedLock();
    const events: string[] = [];
    let releaseFirst!: () => void;
    const firstGate = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = withLock('/cfs/data', async () => {
      events.push('first start');
      await firstGate;
      events.push('first end');
      return 1;
    });
    const second = withLock('/cfs/data', async () => {
      events.push('second start');
      return 2;
    });
    const other = withLock('/cfs/result', async () => {
      events.push('other');
      return 3;
    });
    await other;
    expect(events).toEqual(['first start', 'other']);
    releaseFirst();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(events).toEqual(['first start', 'other', 'first end', 'second start']);
  });

  it('releases the key when the work throws', async () => {
    const withLock = createKeyedLock();
    await expect(withLock('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withLock('k', async () => 'next')).toBe('next');
  });
});
