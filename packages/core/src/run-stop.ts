import type { PollinatorEvent, RunResult } from './events';
import { ExitCode } from './exit-codes';
import { describeFailure, type FailureStep } from './failure-cause';

type Emit = (event: PollinatorEvent) => void;

/** Ends a run that submitted nothing: emits the `error` event and returns the matching result. */
export function stopped(
  emit: Emit,
  code: string,
  message: string,
  exitCode: number,
  extra: Partial<RunResult> & { fix?: string; details?: Record<string, unknown> } = {},
): RunResult {
  const { fix, details, ...result } = extra;
  emit({ type: 'error', code, message, exitCode, ...(fix === undefined ? {} : { fix }), ...(details === undefined ? {} : { details }) });
  return { processId: undefined, state: 'not-submitted', exitCode, detached: false, error: { code, message }, ...result };
}

/** Ends a run that failed at `step`, classified by cause (describeFailure), with what to do about it. */
export function failedAt(emit: Emit, error: unknown, step: FailureStep, what: string, extra: Partial<RunResult> = {}): RunResult {
  const cause = describeFailure(error, step, what);
  return stopped(emit, cause.code, cause.message, cause.exitCode, { ...extra, ...(cause.fix === undefined ? {} : { fix: cause.fix }) });
}

/** The run was stopped (signal) before it submitted anything. */
export function aborted(emit: Emit): RunResult {
  return stopped(emit, 'ABORTED', 'the run was stopped before submitting; nothing was submitted', ExitCode.CANCELLED);
}
