/**
 * `plan --check` on the real Slurm of `scripts/services/slurm-up.sh` (issue #17): `sbatch --test-only` on
 * the job's own batch script says when a valid job would start, refuses a job for a partition that does
 * not exist in Slurm's words, and never submits anything.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobRequest } from '@pollinator/backend';
import { testJobRequest } from '@pollinator/backend/test';
import { createSlurmBackend } from './slurm-backend';
import { requireServices, slurmAvailable, slurmSkipReason } from './services.test-helpers';

requireServices(slurmSkipReason);

const root = mkdtempSync(join(tmpdir(), 'pollinator-slurm-test-only-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function makeJob(placement: JobRequest['placement'] = {}): JobRequest {
  counter += 1;
  const workDir = join(root, `work-${counter}`);
  mkdirSync(workDir, { recursive: true });
  return testJobRequest('true', workDir, { placement, resources: { walltimeSeconds: 60 } });
}

/** Jobs Slurm knows under the job's name (the process id): a preflight must leave none. */
function jobsNamed(name: string): string {
  return execFileSync('squeue', ['-h', '-n', name, '-o', '%i'], { encoding: 'utf8' }).trim();
}

describe.skipIf(!slurmAvailable)(`sbatch --test-only on real Slurm${slurmSkipReason ? ` (skipped: ${slurmSkipReason})` : ''}`, () => {
  const backend = createSlurmBackend({ runtime: 'none', notices: false });

  it('a valid job: Slurm would start it, with its earliest start, and nothing is submitted', async () => {
    const job = makeJob();
    const answer = await backend.preflightJob!(job);
    expect(answer.ok).toBe(true);
    expect(answer.earliestStart).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(answer.message).toContain(`Slurm would start the job at ${answer.earliestStart}`);
    expect(jobsNamed(job.processId)).toBe('');
  });

  it('a partition Slurm does not have: refused with Slurm\'s own message', async () => {
    const job = makeJob({ partition: 'no-such-partition' });
    const answer = await backend.preflightJob!(job);
    expect(answer.ok).toBe(false);
    expect(answer.earliestStart).toBeUndefined();
    expect(answer.message).toMatch(/^Slurm refuses the job: /);
    expect(answer.message).toMatch(/invalid partition/i);
    expect(jobsNamed(job.processId)).toBe('');
  });
});
