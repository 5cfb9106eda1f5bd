/**
 * Mapping Slurm's answers onto `JobStatus`, from real `scontrol show job -o`
 * and `sacct -X -n -P` output recorded on Slurm 22.05 (`__fixtures__/slurm-22.05`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobInfoFromSacct, jobInfoFromScontrol, parseScontrolLine, toJobStatus, type SlurmJobInfo } from './job-state';

const dir = join(import.meta.dirname, '__fixtures__', 'slurm-22.05');
function recorded(name: string): string {
  return readFileSync(join(dir, `${name}.txt`), 'utf8');
}
function fromBoth(name: string): SlurmJobInfo[] {
  const shown = jobInfoFromScontrol(recorded(`scontrol-${name}`));
  const accounted = jobInfoFromSacct(recorded(`sacct-${name}`), shown!.jobId);
  return [shown!, accounted!];
}

describe('recorded Slurm 22.05 answers', () => {
  it('pending in a down partition: the reason, explained', () => {
    const [shown] = fromBoth('pending-partitiondown');
    expect(shown).toMatchObject({ state: 'PENDING', reason: 'PartitionDown', nodeList: '' });
    expect(toJobStatus(shown!, false)).toEqual({ state: 'pending', reason: 'PartitionDown (the partition is down)' });
  });

  it('running: nodes expanded', () => {
    for (const info of fromBoth('running')) {
      expect(toJobStatus(info, false)).toEqual({ state: 'running', nodes: ['vm'] });
    }
  });

  it('completed with 0:0 is the only success', () => {
    for (const info of fromBoth('completed')) {
      expect(toJobStatus(info, false)).toEqual({ state: 'succeeded', exitCode: 0, nodes: ['vm'] });
    }
  });

  it('exit 3 → failed with exit code 3', () => {
    for (const info of fromBoth('failed-exit3')) {
      expect(toJobStatus(info, false)).toEqual({ state: 'failed', exitCode: 3, reason: 'FAILED: exit code 3' });
    }
  });

  it('killed by SIGKILL (0:9) → failed with 137, the reason says so', () => {
    for (const info of fromBoth('failed-sigkill')) {
      const status = toJobStatus(info, false);
      expect(status).toMatchObject({ state: 'failed', exitCode: 137 });
      expect(status.state === 'failed' && status.reason).toMatch(/^FAILED: killed by signal 9/);
    }
  });

  it('cancelled: ours → cancelled; anyone else’s scancel → failed', () => {
    const [shown, accounted] = fromBoth('cancelled');
    expect(toJobStatus(shown!, true)).toEqual({ state: 'cancelled', reason: 'cancelled by the executor (scancel)' });
    expect(toJobStatus(shown!, false)).toMatchObject({ state: 'failed', exitCode: null });
    expect(accounted!.cancelledBy).toBe('0');
    expect(toJobStatus(accounted!, false)).toMatchObject({ state: 'failed', reason: expect.stringContaining('by uid 0') });
  });

  it.skipIf(!existsSync(join(dir, 'scontrol-timeout.txt')))('time limit → failed, timeLimit, no exit code', () => {
    for (const info of fromBoth('timeout')) {
      const status = toJobStatus(info, false);
      expect(status).toMatchObject({ state: 'failed', exitCode: null, timeLimit: true });
      expect(status.state === 'failed' && status.reason).toMatch(/^TIMEOUT: .*00:01:00/);
    }
  });
});

describe('other end states', () => {
  const base: SlurmJobInfo = { jobId: '7', state: '', reason: '', signal: 0, nodeList: 'nid[001-002]', timeLimit: '01:00:00', jobName: 'p' };
  it.each([
    ['TIMEOUT', { exitCode: 0, signal: 15 }, { state: 'failed', exitCode: null, timeLimit: true }],
    ['NODE_FAIL', { exitCode: 0 }, { state: 'failed', exitCode: null, reason: 'NODE_FAIL: a node of the job failed (nid[001-002])' }],
    ['OUT_OF_MEMORY', { exitCode: 0, signal: 125 }, { state: 'failed', exitCode: null }],
    ['OUT_OF_MEMORY', { exitCode: 137 }, { state: 'failed', exitCode: 137 }],
    ['PREEMPTED', { exitCode: 0 }, { state: 'failed', exitCode: null }],
    ['COMPLETED', { exitCode: 2 }, { state: 'failed', exitCode: 2 }],
    ['COMPLETING', { exitCode: 0 }, { state: 'running', nodes: ['nid001', 'nid002'] }],
    ['CONFIGURING', {}, { state: 'pending', reason: 'Configuring (nodes are booting)' }],
    ['SUSPENDED', {}, { state: 'pending', reason: 'SUSPENDED' }],
  ] as const)('%s %j', (state, extra, expected) => {
    expect(toJobStatus({ ...base, state, ...extra }, false)).toMatchObject(expected);
  });
});

describe('parseScontrolLine', () => {
  it('keeps values with spaces whole', () => {
    const fields = parseScontrolLine('JobId=5 JobName=x JobState=PENDING Reason=launch failed requeued held Dependency=(null) StdOut=/tmp/my work/out.log Power=');
    expect(fields.Reason).toBe('launch failed requeued held');
    expect(fields.StdOut).toBe('/tmp/my work/out.log');
    expect(fields.Power).toBe('');
  });
});
