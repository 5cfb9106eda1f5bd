/**
 * Failure causes from `sacct` and `scontrol` outputs (`__fixtures__/causes/`: recorded on the test cluster,
 * or written from the Slurm docs where it cannot produce them; the README there says which).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeJobCause } from '@pollinator/backend';
import { describe, expect, it } from 'vitest';
import { jobInfoFromScontrol, toJobStatus } from './job-state';
import {
  causeFromSacct,
  causeFromScontrol,
  parseSacctJob,
  parseSacctRuns,
  parseSlurmDuration,
  parseSlurmMemory,
  requeuedReason,
  withCause,
} from './slurm-cause';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '__fixtures__', 'causes', name), 'utf8');
const sacct = (name: string, id: string) => {
  const record = parseSacctJob(fixture(name), id);
  if (!record) throw new Error(`no job ${id} in ${name}`);
  return record;
};
const KiB = 1024;

describe('Slurm sizes and durations', () => {
  it('reads MaxRSS and ReqMem sizes in binary units', () => {
    expect(parseSlurmMemory('16571392K')).toBe(16571392 * KiB);
    expect(parseSlurmMemory('100M')).toBe(100 * KiB ** 2);
    expect(parseSlurmMemory('16G')).toBe(16 * KiB ** 3);
    expect(parseSlurmMemory('4000Mn')).toBe(4000 * KiB ** 2);
    expect(parseSlurmMemory('4000Mc', 4)).toBe(16000 * KiB ** 2);
    expect(parseSlurmMemory('')).toBeUndefined();
  });

  it('reads elapsed times and limits', () => {
    expect(parseSlurmDuration('00:01:14')).toBe(74);
    expect(parseSlurmDuration('1-02:00:00')).toBe(93600);
    expect(parseSlurmDuration('12:03')).toBe(723);
    expect(parseSlurmDuration('00:00:05.123')).toBe(5);
    expect(parseSlurmDuration('UNLIMITED')).toBeUndefined();
    expect(parseSlurmDuration('Partition_Limit')).toBeUndefined();
  });
});

describe('causes from sacct', () => {
  it('out of memory: peak MaxRSS of the steps against ReqMem, in words a researcher acts on', () => {
    const cause = causeFromSacct(sacct('sacct-out-of-memory.txt', '4242'));
    expect(cause).toMatchObject({ kind: 'out-of-memory', peakMemoryBytes: 16571392 * KiB, requestedMemoryBytes: 16 * KiB ** 3 });
    expect(describeJobCause(cause)).toBe('killed: out of memory (peak 15.8 GiB of 16 GiB requested) — raise conditions.mem');
  });

  it('a COMPLETED job whose step was OOM-killed is out of memory, not a success (desispec#2744)', () => {
    const cause = causeFromSacct(sacct('sacct-completed-step-oom.txt', '4243'));
    expect(cause).toMatchObject({ kind: 'out-of-memory', peakMemoryBytes: 16231424 * KiB, requestedMemoryBytes: 16000 * KiB ** 2 });
    expect(cause.platform).toContain('step 4243.0 OUT_OF_MEMORY');
  });

  it('a COMPLETED job whose step failed is a failure with the step exit code (recorded)', () => {
    const cause = causeFromSacct(sacct('sacct-completed-step-failed.txt', '1114'));
    expect(cause).toMatchObject({ kind: 'failed', exitCode: 3 });
    expect(cause.platform).toBe('sacct State=COMPLETED ExitCode=0:0 DerivedExitCode=3:0; step 1114.0 FAILED 3:0');
  });

  it('a COMPLETED job with clean steps succeeded (recorded)', () => {
    expect(causeFromSacct(sacct('sacct-completed.txt', '1112'))).toMatchObject({ kind: 'succeeded', exitCode: 0 });
  });

  it('time limit with elapsed and limit (recorded)', () => {
    const cause = causeFromSacct(sacct('sacct-timeout.txt', '1110'));
    expect(cause).toMatchObject({ kind: 'time-limit', elapsedSeconds: 74, limitSeconds: 60 });
    expect(describeJobCause(cause)).toMatch(/^killed: time limit reached \(ran 1m14s of 1m allowed\)/);
  });

  it('node failure names the node (recorded)', () => {
    expect(causeFromSacct(sacct('sacct-node-fail.txt', '1116'))).toMatchObject({ kind: 'node-failure', nodes: ['vm'] });
  });

  it('preempted, boot failure, cancelled, a failing exit code and a signal', () => {
    expect(causeFromSacct(sacct('sacct-preempted.txt', '4244'))).toMatchObject({ kind: 'preempted', elapsedSeconds: 460 });
    expect(causeFromSacct(sacct('sacct-boot-fail.txt', '4246'))).toMatchObject({ kind: 'could-not-start', startProblem: 'boot', nodes: ['cloud-n7'] });
    expect(causeFromSacct(sacct('sacct-cancelled.txt', '1109'))).toMatchObject({ kind: 'cancelled' });
    expect(causeFromSacct(sacct('sacct-failed-exit127.txt', '1111'))).toMatchObject({ kind: 'failed', exitCode: 127 });
    expect(causeFromSacct(sacct('sacct-failed-sigkill.txt', '4247'))).toEqual(expect.objectContaining({ kind: 'failed', signal: 9 }));
  });

  it('without -D only the latest run; with -D every run', () => {
    expect(parseSacctJob(fixture('sacct-requeued-runs.txt'), '1115')?.job.state).toBe('CANCELLED');
    expect(parseSacctRuns(fixture('sacct-requeued-runs.txt'), '1115').map((run) => run.state)).toEqual(['REQUEUED', 'CANCELLED']);
  });
});

describe('causes from scontrol (no accounting)', () => {
  it('out of memory with the requested memory, node failure (recorded), and the step-failed case it cannot see', () => {
    expect(causeFromScontrol(fixture('scontrol-out-of-memory.txt'))).toMatchObject({ kind: 'out-of-memory', requestedMemoryBytes: 16 * KiB ** 3 });
    expect(causeFromScontrol(fixture('scontrol-node-fail.txt'))).toMatchObject({ kind: 'node-failure', nodes: ['vm'] });
    // scontrol has no DerivedExitCode: this is why sacct is asked first.
    expect(causeFromScontrol(fixture('scontrol-completed-step-failed.txt'))).toMatchObject({ kind: 'succeeded' });
  });
});

describe('requeued jobs are pending, not failed', () => {
  const info = jobInfoFromScontrol(fixture('scontrol-pending-requeued.txt'))!;

  it('reads the restart count and says why it runs again (recorded)', () => {
    expect(info.restarts).toBe(1);
    expect(toJobStatus(info, false).state).toBe('pending');
    expect(requeuedReason(info, 1, parseSacctRuns(fixture('sacct-requeued-runs.txt'), '1115'))).toBe(
      'requeued: requeued in Slurm (scontrol requeue or a failed launch); Slurm runs it again (restart 1, waiting: BeginTime)',
    );
    expect(requeuedReason(info, 1, parseSacctRuns(fixture('sacct-requeued-after-node-fail-runs.txt'), '1117'))).toMatch(/^requeued: its node failed;/);
    expect(requeuedReason(info, 1, parseSacctRuns(fixture('sacct-requeued-after-preemption-runs.txt'), '4245'))).toMatch(/^requeued: preempted by a higher-priority job;/);
  });
});

describe('the final status with its cause', () => {
  it('turns a COMPLETED job with a failed step into a failure', () => {
    const cause = causeFromSacct(sacct('sacct-completed-step-failed.txt', '1114'));
    const status = withCause({ state: 'succeeded', exitCode: 0, nodes: ['vm'] }, cause);
    expect(status).toMatchObject({ state: 'failed', exitCode: 3, cause });
    expect(status.state === 'failed' && status.reason).toMatch(/^COMPLETED in Slurm, but sacct State=COMPLETED/);
  });

  it('keeps the status and adds the cause otherwise', () => {
    const cause = causeFromSacct(sacct('sacct-out-of-memory.txt', '4242'));
    expect(withCause({ state: 'failed', exitCode: null, reason: 'OUT_OF_MEMORY: …' }, cause)).toEqual({ state: 'failed', exitCode: null, reason: 'OUT_OF_MEMORY: …', cause });
    const stepOom = causeFromSacct(sacct('sacct-completed-step-oom.txt', '4243'));
    const status = withCause({ state: 'failed', exitCode: 1, reason: 'FAILED: exit code 1' }, stepOom);
    expect(status.state === 'failed' && status.reason).toBe('OUT_OF_MEMORY: a step ran out of memory (FAILED: exit code 1)');
    expect(withCause({ state: 'running', nodes: [] }, cause)).toEqual({ state: 'running', nodes: [] });
  });
});
