/**
 * The stop signal on real Slurm: `sbatch --signal=B:USR1@t` to the batch
 * shell, which passes it on to the launch (srun forwards it to every process
 * of the step). Slurm checks its time limits about once a minute, so a
 * signal may come up to 60 s later than asked: the walltime is Slurm's least
 * (1 minute) and the lead time 50 s; each case below takes 15–60 s. The case
 * that waits for the time limit after the signal takes minutes and runs only
 * with POLLINATOR_SLOW_TESTS=1.
 *
 * Not here: the Singularity stand-in (scripts/singularity-shim) runs the
 * container as `bwrap`, which dies of a signal it does not handle, where
 * Singularity/Apptainer only pass signals on to the container; the container
 * path is covered by the golden script (batch-script-stop-signal.test.ts).
 */
import { testStopSignal } from '@pollinator/backend/test';
import { createSlurmBackend } from './slurm-backend';
import { requireServices, slowTests, slurmSkipReason } from './services.test-helpers';

requireServices(slurmSkipReason);

const timing = {
  walltimeSeconds: 60,
  beforeSeconds: 50,
  timeoutMs: 240_000,
  skip: slurmSkipReason || false,
  skipTimeLimitCase: slowTests ? false : 'takes minutes on Slurm: POLLINATOR_SLOW_TESTS=1',
} as const;

testStopSignal('slurm, runtime none, bubblewrap', () => createSlurmBackend({ runtime: 'none', mountWrapper: 'bwrap' }), timing);

testStopSignal('slurm, runtime none, no wrapper', () => createSlurmBackend({ runtime: 'none', mountWrapper: 'none' }), timing);
