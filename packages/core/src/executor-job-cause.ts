/**
 * Why a job did not succeed, recorded on its process before the close (issue
 * #17): `POLLINATOR_FAILURE_CAUSE` (the kind: `out-of-memory`, `time-limit`,
 * …) and `POLLINATOR_FAILURE_DETAIL` (one line with what to do), and that line
 * in the process log, where `pollinator logs` and `run` show it next to the
 * job's own output. The backend's status gives the cause (`status.cause`, else
 * what its fields say); a stop of the executor's own (the exec deadline, a
 * shutdown) overrides it, since the backend then saw only a cancel.
 */
import { describeJobCause, jobCauseOf, type JobCause, type JobStatus } from './backend';
import type { ExecutorContext } from './executor-context';
import type { StopJob } from './executor-stop';
import { RunRecordKey } from './run-record-keys';

/** The cause of a followed job's end, or undefined when it succeeded (nothing to explain). */
export function closeCause(status: JobStatus, stop: StopJob | undefined, maxexectime: number): JobCause | undefined {
  if (stop?.reason === 'deadline') return { kind: 'time-limit', ...(maxexectime > 0 ? { limitSeconds: maxexectime } : {}), platform: `maxexectime: ${stop.message}` };
  if (stop?.reason === 'shutdown-cancel') return { kind: 'cancelled', platform: 'the executor was shut down with --on-shutdown cancel' };
  const cause = jobCauseOf(status);
  return cause?.kind === 'succeeded' ? undefined : cause;
}

/** What a start the backend refused was about: the image, else the configuration. */
export function startFailureCause(message: string): JobCause {
  const image = /\bimage\b|\bpull\b|manifest|registry/i.test(message);
  return { kind: 'could-not-start', startProblem: image ? 'image' : 'config', platform: message };
}

/** Records the cause on the process (two OUT attributes) and says it in the process log. */
export async function recordJobCause(context: ExecutorContext, processId: string, cause: JobCause | undefined): Promise<void> {
  if (!cause) return;
  const detail = describeJobCause(cause);
  await context.reporter.recordOutput(processId, RunRecordKey.failureCause, cause.kind);
  await context.reporter.recordOutput(processId, RunRecordKey.failureDetail, detail);
  await context.reporter.log(processId, `Pollinator: ${detail}\n`);
}
