/**
 * The stop signal on real Slurm: `sbatch --signal=B:USR1@t` to the batch
 * shell, which passes it on to the launch (srun forwards it to every process
 * of the step). Slurm checks its time limits about once a minute, so a
 * signal may come up to 60 s later than asked: the walltime is Slurm's least
 * (1 minute) and the lead time 50 s; each case below takes 15–60 s.
 *
 * Not here: the case that waits for the time limit after the signal (minutes
 * on Slurm) and the container path (the Singularity stand-in passes the
 * signal on to the contained process, as Singularity/Apptainer do). Both are
 * in retry-real.test.ts, in the one job of this package that waits for a
 * time limit: the signal, a checkpoint, the TIMEOUT and the retry.
 */
import { testStopSignal } from '@pollinator/backend/test';
import { createSlurmBackend } from './slurm-backend';
import { requireServices, slurmSkipReason } from './services.test-helpers';

requireServices(slurmSkipReason);

const timing = {
  walltimeSeconds: 60,
  beforeSeconds: 50,
  timeoutMs: 240_000,
  skip: slurmSkipReason || false,
  skipTimeLimitCase: 'one Slurm time limit for all: retry-real.test.ts (signal, checkpoint, TIMEOUT, retry)',
} as const;

testStopSignal('slurm, runtime none, bubblewrap', () => createSlurmBackend({ runtime: 'none', mountWrapper: 'bwrap' }), timing);

testStopSignal('slurm, runtime none, no wrapper', () => createSlurmBackend({ runtime: 'none', mountWrapper: 'none' }), timing);
