/**
 * The hostile-job suite (issue #13) against real Slurm, once with runtime
 * `none` (bubblewrap wrapper) and once with the Singularity stand-in, one
 * after the other on the shared two-CPU slurmd.
 *
 * Runtime `none`: `isolatesFilesystem: false` — the job runs on the node and
 * sees its filesystem (`--dev-bind / /`: site software, scratch), so it can
 * write to host paths outside its staging; what the wrapper does guarantee is
 * checked with `hidesProtectedPaths`: the executor's state, the staging root
 * and the identities are covered before the job's own dirs are bound.
 *
 * Singularity stand-in: isolated (a read-only image root plus the job's own
 * binds; the backend passes `--contain`, so neither /tmp nor $HOME is shared).
 * The suite's files live under /var/tmp all the same, so that the case would
 * still hold on a site whose Singularity binds /tmp whatever the flags say.
 */
import { testHostileJobs } from '@pollinator/backend/test';
import { requireServices, shimOptions, shimSkipReason, slurmSkipReason } from './services.test-helpers';
import { createSlurmBackend } from './slurm-backend';

requireServices(slurmSkipReason, shimSkipReason);

// Other test files share the two CPUs: a job may pend a while for Resources.
const timing = { jobTimeoutSeconds: 120 };
const quiet = { pendingNoticeDelayMs: 60_000 };

testHostileJobs('slurm, runtime none', () => createSlurmBackend({ ...quiet, runtime: 'none' }), {
  ...timing,
  skip: slurmSkipReason || false,
  isolatesFilesystem: false,
  hidesProtectedPaths: true,
});

testHostileJobs('slurm, Singularity stand-in', () => createSlurmBackend({ ...quiet, ...shimOptions() }), {
  ...timing,
  skip: shimSkipReason || false,
  isolatesFilesystem: true,
  baseDir: '/var/tmp',
});
