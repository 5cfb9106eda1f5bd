/**
 * The close decision table: how a followed job's process is closed, from
 * why the executor stopped following (if it did), the job's final status and
 * the outcome of the result upload. Pure; `executor-job-session.ts` applies it.
 */
import type { JobStatus } from './backend';
import { ExitCode } from './exit-codes';
import type { StopJob } from './executor-stop';
import { executorError } from './validate-spec';

export type CloseDecision =
  /** Not ours to close any more (cancelled: the server refuses a close; lost: re-queued or gone). */
  | { action: 'abandon'; reason: string }
  | { action: 'close-successful' }
  | { action: 'close-failed'; message: string; exitCode?: number };

export interface CloseFacts {
  /** Why following stopped early; undefined when the job ended by itself. A detached job is never closed. */
  stop: StopJob | undefined;
  /** The final status (or the synthesised failure when the backend reported no end). */
  status: JobStatus;
  /** The PostSync failure, if the results could not all be uploaded. */
  uploadError: string | undefined;
  backendName: string;
}

/** Whether the process is still ours to upload, record and close (not cancelled, not lost). */
export function keepsProcess(stop: StopJob | undefined): boolean {
  return stop?.reason !== 'cancelled' && stop?.reason !== 'lost';
}

const EXECUTE_FAILED = 'Failed to execute process';

export function decideClose(facts: CloseFacts): CloseDecision {
  const { stop, status, uploadError } = facts;
  if (stop && !keepsProcess(stop)) return { action: 'abandon', reason: stop.message };
  if (stop?.reason === 'deadline') return { action: 'close-failed', message: executorError(stop.message, EXECUTE_FAILED), exitCode: ExitCode.TIME_LIMIT };
  if (stop?.reason === 'shutdown-cancel') {
    return { action: 'close-failed', message: executorError('the executor was shut down, the job was cancelled', EXECUTE_FAILED) };
  }
  if (status.state === 'succeeded') {
    return uploadError ? { action: 'close-failed', message: uploadError, exitCode: ExitCode.SYNC_FAILED } : { action: 'close-successful' };
  }
  if (status.state === 'failed') {
    const message =
      status.timeLimit !== true && status.exitCode !== null
        ? executorError(`Exit with an error, exit code = ${status.exitCode}`, EXECUTE_FAILED)
        : executorError(status.reason, EXECUTE_FAILED);
    const exitCode = status.timeLimit ? ExitCode.TIME_LIMIT : (status.exitCode ?? undefined);
    const decision: CloseDecision = { action: 'close-failed', message: uploadError ? `${message} (and: ${uploadError})` : message };
    if (exitCode !== undefined) decision.exitCode = exitCode;
    return decision;
  }
  // Cancelled by the platform (an administrator's scancel, an evicted pod), not by the user.
  const reason = status.state === 'cancelled' ? status.reason : status.state;
  return { action: 'close-failed', message: executorError(`the job was cancelled outside Pollinator (${facts.backendName}: ${reason})`, EXECUTE_FAILED) };
}
