import { describe, expect, it } from 'vitest';
import { describeJobCause, describeJobCauseShort, formatDuration, formatMemory, isJobCauseKind, JOB_CAUSE_KINDS } from './job-cause';
import { jobCauseOf } from './job-cause-of';

const GiB = 1024 ** 3;

describe('job causes', () => {
  it('says an out-of-memory kill in words a researcher acts on', () => {
    const text = describeJobCause({ kind: 'out-of-memory', peakMemoryBytes: 15.8 * GiB, requestedMemoryBytes: 16 * GiB });
    expect(text).toBe('killed: out of memory (peak 15.8 GiB of 16 GiB requested) — raise conditions.mem');
  });

  it('says a time limit with the elapsed time and the limit', () => {
    expect(describeJobCause({ kind: 'time-limit', elapsedSeconds: 74, limitSeconds: 60 })).toBe(
      'killed: time limit reached (ran 1m14s of 1m allowed) — raise conditions.walltime, or checkpoint and resume',
    );
  });

  it('has words for every kind', () => {
    for (const kind of JOB_CAUSE_KINDS) expect(describeJobCauseShort({ kind })).not.toBe('');
    expect(describeJobCause({ kind: 'failed', exitCode: 3 })).toBe("failed: exit code 3 — see the job's output for why");
    expect(describeJobCauseShort({ kind: 'failed', signal: 9 })).toBe('failed: killed by signal 9');
    expect(describeJobCauseShort({ kind: 'failed' })).toBe('failed (no exit code)');
    expect(describeJobCauseShort({ kind: 'node-failure', nodes: ['nid001'] })).toBe('killed: node failure (nid001)');
    expect(describeJobCauseShort({ kind: 'could-not-start', startProblem: 'image' })).toBe('could not start: the image could not be pulled');
    expect(describeJobCause({ kind: 'cancelled' })).toBe('cancelled');
  });

  it('formats memory and durations', () => {
    expect(formatMemory(16 * GiB)).toBe('16 GiB');
    expect(formatMemory(512 * 1024 ** 2)).toBe('512 MiB');
    expect(formatMemory(12116 * 1024)).toBe('11.8 MiB');
    expect(formatDuration(3600)).toBe('1h');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(3661)).toBe('1h1m1s');
  });

  it('tells a kind from any other string', () => {
    expect(isJobCauseKind('out-of-memory')).toBe(true);
    expect(isJobCauseKind('OOM')).toBe(false);
  });

  it('derives a cause from a status without one', () => {
    expect(jobCauseOf({ state: 'running', nodes: [] })).toBeUndefined();
    expect(jobCauseOf({ state: 'succeeded', exitCode: 0 })).toEqual({ kind: 'succeeded', exitCode: 0 });
    expect(jobCauseOf({ state: 'failed', exitCode: 2, reason: 'exit code 2' })).toEqual({ kind: 'failed', exitCode: 2 });
    expect(jobCauseOf({ state: 'failed', exitCode: null, reason: 'TIMEOUT', timeLimit: true })).toEqual({ kind: 'time-limit' });
    expect(jobCauseOf({ state: 'cancelled', reason: 'cancelled' })).toEqual({ kind: 'cancelled' });
    const cause = { kind: 'out-of-memory' as const, peakMemoryBytes: 1 };
    expect(jobCauseOf({ state: 'failed', exitCode: null, reason: 'OOM', cause })).toBe(cause);
  });
});
