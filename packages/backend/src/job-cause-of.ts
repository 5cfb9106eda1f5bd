/**
 * The cause of a final status, whether or not the backend gave one: a backend
 * that knows more (Slurm's `sacct`, a pod's `OOMKilled`) sets `status.cause`;
 * for one that does not, the status's own fields still say succeeded,
 * failed (exit n), time limit or cancelled.
 */
import type { JobStatus } from './backend';
import type { JobCause } from './job-cause';

/** The cause of a final status; undefined while the job is pending or running. */
export function jobCauseOf(status: JobStatus): JobCause | undefined {
  if (status.state === 'pending' || status.state === 'running') return undefined;
  if (status.cause) return status.cause;
  if (status.state === 'succeeded') return { kind: 'succeeded', exitCode: 0 };
  if (status.state === 'cancelled') return { kind: 'cancelled' };
  if (status.timeLimit === true) return { kind: 'time-limit' };
  return status.exitCode === null ? { kind: 'failed' } : { kind: 'failed', exitCode: status.exitCode };
}
