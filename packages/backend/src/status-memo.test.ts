import { describe, expect, it } from 'vitest';
import type { JobStatus } from './backend';
import { JobStatusMemo } from './status-memo';

const running: JobStatus = { state: 'running', nodes: ['n1'] };
const done: JobStatus = { state: 'succeeded', exitCode: 0 };

describe('JobStatusMemo', () => {
  it('answers a recent status until it is older than the asked age', () => {
    let now = 1000;
    const memo = new JobStatusMemo({ now: () => now });
    expect(memo.recent('a', 500)).toBeUndefined();
    expect(memo.record('a', running)).toBe(running);
    now += 499;
    expect(memo.recent('a', 500)).toBe(running);
    now += 1;
    expect(memo.recent('a', 500)).toBeUndefined();
    expect(memo.latest('a')).toBe(running);
    memo.invalidate('a');
    expect(memo.latest('a')).toBeUndefined();
  });

  it('keeps a final status for ever, and a final status wins over later non-final ones', () => {
    let now = 0;
    const memo = new JobStatusMemo({ now: () => now });
    memo.record('a', done);
    now += 1e9;
    expect(memo.final('a')).toBe(done);
    expect(memo.recent('a', 1)).toBe(done);
    memo.record('a', running);
    expect(memo.latest('a')).toBe(done);
  });

  it('forgets the oldest final statuses beyond its bound', () => {
    const memo = new JobStatusMemo({ maxFinal: 2 });
    memo.record('a', done);
    memo.record('b', done);
    memo.record('c', done);
    expect(memo.final('a')).toBeUndefined();
    expect(memo.final('b')).toBe(done);
    expect(memo.final('c')).toBe(done);
  });

  it('forgets one job or all', () => {
    const memo = new JobStatusMemo();
    memo.record('a', done);
    memo.record('b', running);
    memo.forget('a');
    expect(memo.final('a')).toBeUndefined();
    memo.clear();
    expect(memo.latest('b')).toBeUndefined();
  });
});
