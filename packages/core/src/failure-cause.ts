import { ExitCode } from './exit-codes';

/** The step of a run a failure happened in. */
export type FailureStep = 'upload' | 'snapshot' | 'submit' | 'download' | 'follow';

/** A failure explained by its cause: a stable code, the exit code it leads to, and what to do. */
export interface FailureCause {
  /** Stable code (`SYNC_FAILED`, `NOT_A_MEMBER`, `SERVER_UNREACHABLE`, `S3_CREDENTIALS`, `LOCAL_FILE_UNREADABLE`, …). */
  code: string;
  exitCode: number;
  /** One sentence naming the thing that failed. */
  message: string;
  /** What to do about it, when there is something to do. */
  fix?: string;
}

/**
 * Classifies an error by its cause rather than by the step it happened in.
 * (Placeholder: the step-based classification `runProject` used before.)
 */
export function describeFailure(error: unknown, step: FailureStep, what: string): FailureCause {
  const text = error instanceof Error ? error.message : String(error);
  return { code: 'SYNC_FAILED', exitCode: step === 'download' ? ExitCode.SYNC_FAILED : ExitCode.SYNC_FAILED, message: `${what} failed: ${text}` };
}
