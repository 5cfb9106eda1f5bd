/**
 * The shared backend conformance suite against real Slurm: once with runtime
 * `none` (commands on the node, mounts bound with bubblewrap) and once with the
 * Singularity stand-in. Both suites are in this one file so that they run one
 * after the other on the shared two-CPU slurmd.
 */
import { testBackend } from '@pollinator/test-utils';
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

testBackend('slurm, runtime none', () => createSlurmBackend({ runtime: 'none' }), {
  ...slurmTiming,
  skip: slurmSkipReason || false,
  containers: false,
});

testBackend('slurm, Singularity stand-in', () => createSlurmBackend(shimOptions()), {
  ...slurmTiming,
  skip: shimSkipReason || false,
  containers: true,
  image: 'busybox',
});
