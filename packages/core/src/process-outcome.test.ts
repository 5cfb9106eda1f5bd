import { describe, expect, it } from 'vitest';
import { ExitCode } from './exit-codes';
import { processExitCode, recordedExitCode } from './process-outcome';

const exitAttribute = (value: string, attributetype = 1) => ({ key: 'EXITCODE', value, attributetype });

describe('processExitCode (docs/exit-codes.md)', () => {
  it('success: 0, or the recorded code', () => {
    expect(processExitCode({ state: 2 })).toEqual({ exitCode: 0, state: 'success' });
    expect(processExitCode({ state: 2, attributes: [exitAttribute('0')] }).exitCode).toBe(0);
  });

  it('failed: the job’s own exit code when the executor recorded it', () => {
    expect(processExitCode({ state: 3, attributes: [exitAttribute('3')], errors: ['exit code 3'] })).toEqual({
      exitCode: 3,
      state: 'failed',
      reason: 'exit code 3',
    });
    expect(processExitCode({ state: 3, attributes: [exitAttribute(' 137 ', 3)] }).exitCode).toBe(137);
  });

  it('failed without a usable code: 1', () => {
    expect(processExitCode({ state: 3, errors: ['ContainerExecutor: Failed to execute slurm script'] }).exitCode).toBe(
      ExitCode.JOB_FAILED,
    );
    expect(processExitCode({ state: 3, attributes: [exitAttribute('0')] }).exitCode).toBe(ExitCode.JOB_FAILED);
    expect(processExitCode({ state: 3, attributes: [exitAttribute('999')] }).exitCode).toBe(ExitCode.JOB_FAILED);
    expect(processExitCode({ state: 3, attributes: [exitAttribute('abc')] }).exitCode).toBe(ExitCode.JOB_FAILED);
  });

  it.each([
    ['Maximum execution time limit exceeded'],
    ['TIMEOUT: time limit reached'],
    ['DeadlineExceeded: Job was active longer than specified deadline'],
  ])('time limit (%s): 124, even with a recorded code', (error) => {
    expect(processExitCode({ state: 3, errors: [error], attributes: [exitAttribute('143')] }).exitCode).toBe(ExitCode.TIME_LIMIT);
  });

  it.each([['executor lost the job: it was restarted and could not re-attach'], ['NODE_FAIL'], ['PREEMPTED']])(
    'executor lost (%s): 69',
    (error) => {
      expect(processExitCode({ state: 3, errors: [error] }).exitCode).toBe(ExitCode.EXECUTOR_LOST);
    },
  );

  it('cancelled: 130', () => {
    expect(processExitCode({ state: 4 })).toMatchObject({ exitCode: ExitCode.CANCELLED, state: 'cancelled' });
  });

  it('prefers the OUT attribute when several are recorded', () => {
    expect(recordedExitCode({ state: 3, attributes: [exitAttribute('5', 3), exitAttribute('7', 1)] })).toBe(7);
    expect(recordedExitCode({ state: 3, attributes: [{ key: 'OTHER', value: '1' }] })).toBeUndefined();
    expect(recordedExitCode({ state: 3, attributes: null })).toBeUndefined();
  });
});
