/** Reading `sbatch --test-only`'s answers (the shapes Slurm prints; the real ones: test-only-real.test.ts). */
import { describe, expect, it } from 'vitest';
import { readTestOnlyAnswer } from './test-only';

describe('readTestOnlyAnswer', () => {
  it('a job Slurm would start: ok, with the earliest start and where', () => {
    const answer = readTestOnlyAnswer({
      exitCode: 0,
      stdout: '',
      stderr: 'sbatch: Job 41 to start at 2026-12-03T13:40:00 using 2 processors on nodes c[1-2] in partition debug\n',
    });
    expect(answer).toEqual({
      ok: true,
      earliestStart: '2026-12-03T13:40:00',
      message: 'Slurm would start the job at 2026-12-03T13:40:00 using 2 processors on nodes c[1-2] in partition debug',
    });
  });

  it('a refused job: Slurm\'s reason first, then everything sbatch said on one line', () => {
    const answer = readTestOnlyAnswer({
      exitCode: 1,
      stdout: '',
      stderr: 'sbatch: error: invalid partition specified: gpu\nsbatch: error: Batch job submission failed: Invalid partition name specified\n',
    });
    expect(answer).toEqual({
      ok: false,
      message:
        'Slurm refuses the job: Invalid partition name specified (sbatch: error: invalid partition specified: gpu / error: Batch job submission failed: Invalid partition name specified)',
    });
  });

  it('--test-only\'s own refusal ("allocation failure", as Slurm 22.05 prints it)', () => {
    const answer = readTestOnlyAnswer({ exitCode: 1, stdout: '', stderr: 'sbatch: error: invalid partition specified: nope\nallocation failure: Invalid partition name specified\n' });
    expect(answer).toEqual({
      ok: false,
      message: 'Slurm refuses the job: Invalid partition name specified (sbatch: error: invalid partition specified: nope / allocation failure: Invalid partition name specified)',
    });
  });

  it('a failure without Slurm\'s usual words still says what sbatch printed and its exit status', () => {
    expect(readTestOnlyAnswer({ exitCode: 127, stdout: '', stderr: 'sbatch: command not found' })).toEqual({
      ok: false,
      message: 'Slurm refuses the job (sbatch --test-only exit status 127): command not found',
    });
    expect(readTestOnlyAnswer({ exitCode: 0, stdout: '', stderr: '' })).toEqual({ ok: true, message: 'Slurm accepts the job: no estimate given' });
  });
});
