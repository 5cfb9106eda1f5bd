/**
 * The shared backend conformance suite against real Slurm: once with runtime
 * `none` (commands on the node, mounts bound with bubblewrap) and once with the
 * Singularity stand-in. Both suites are in this one file so that they run one
 * after the other on the shared two-CPU slurmd.
 */
import { testBackend } from '@pollinator/backend/test';
import { createSlurmBackend } from './slurm-backend';
import { requireServices, shimOptions, shimSkipReason, slurmSkipReason } from './services.test-helpers';

requireServices(slurmSkipReason, shimSkipReason);

const slurmTiming = {
  // Slurm limits are whole minutes (a 60 s limit ends ~66–70 s after the start): tagged slow.
  timeLimitSeconds: 60,
  timeLimitSlow: true,
  timeLimitGraceSeconds: 60,
  jobTimeoutSeconds: 30,
  cancelTimeoutSeconds: 20,
};
// Other test files share the two CPUs: a job may pend a few seconds for Resources. The suite
// compares output exactly, so pending-reason notices (tested in slurm-backend.test.ts) stay
// out of these logs unless a job pends for a whole minute.
const quiet = { pendingNoticeDelayMs: 60_000 };

testBackend('slurm, runtime none', () => createSlurmBackend({ ...quiet, runtime: 'none' }), {
  ...slurmTiming,
  skip: slurmSkipReason || false,
  containers: false,
});

testBackend('slurm, Singularity stand-in', () => createSlurmBackend({ ...quiet, ...shimOptions() }), {
  ...slurmTiming,
  skip: shimSkipReason || false,
  containers: true,
  image: 'busybox',
});
