import { EXIT_CODE_ATTRIBUTE, ExitCode } from './exit-codes';
import { processStateName, type ProcessStateName } from './events';

/** The parts of a ColonyOS process that decide the exit code. */
export interface ProcessOutcomeInput {
  state: number;
  errors?: readonly string[] | null;
  attributes?: readonly { key: string; value: string; attributetype?: number }[] | null;
}

/** Server and executor messages that mean "the job ran out of time". */
const TIME_LIMIT_PATTERNS = [
  /maximum execution time limit exceeded/i,
  /\btime ?limit\b/i,
  /\bTIMEOUT\b/,
  /\bDeadlineExceeded\b/,
  /\bwall ?time\b.*\b(exceeded|reached)\b/i,
];

/** Executor messages that mean "the executor lost the job" (node failure, executor restart that could not re-attach). */
const EXECUTOR_LOST_PATTERNS = [
  /\bexecutor lost\b/i,
  /\blost (the )?job\b/i,
  /\bcould not re-?attach\b/i,
  /\bcannot re-?attach\b/i,
  /\bNODE_FAIL\b/,
  /\bnode fail(ure|ed)?\b/i,
  /\bPREEMPTED\b/,
];

/** The exit code an executor recorded in the `EXITCODE` attribute, when there is one. */
export function recordedExitCode(process: ProcessOutcomeInput): number | undefined {
  const attributes = process.attributes ?? [];
  // Prefer the OUT attribute (type 1) the convention asks for; accept any type.
  const ordered = [...attributes].sort((a, b) => Number(a.attributetype !== 1) - Number(b.attributetype !== 1));
  for (const attribute of ordered) {
    if (attribute.key !== EXIT_CODE_ATTRIBUTE) continue;
    const value = attribute.value.trim();
    if (/^-?[0-9]+$/.test(value)) return Number.parseInt(value, 10);
  }
  return undefined;
}

/**
 * The exit code of a finished process (docs/exit-codes.md):
 *
 * - SUCCESS → the recorded exit code (normally 0), else 0;
 * - CANCELLED → 130;
 * - FAILED → a time-limit or executor-lost reason in `errors` gives 124 / 69;
 *   otherwise the recorded exit code when it is non-zero, else 1.
 *
 * Exit codes are clamped to 0–255 as a shell would (a negative or larger value
 * becomes 1 when the process failed).
 */
export function processExitCode(process: ProcessOutcomeInput): { exitCode: number; state: ProcessStateName; reason?: string } {
  const state = processStateName(process.state);
  const recorded = recordedExitCode(process);
  const errors = (process.errors ?? []).filter((error) => error !== '');
  const reason = errors[0];
  switch (state) {
    case 'success':
      return { exitCode: recorded !== undefined && recorded >= 0 && recorded <= 255 ? recorded : ExitCode.SUCCESS, state };
    case 'cancelled':
      return { exitCode: ExitCode.CANCELLED, state, reason: reason ?? 'the process was cancelled' };
    case 'failed': {
      if (errors.some((error) => TIME_LIMIT_PATTERNS.some((pattern) => pattern.test(error)))) {
        return { exitCode: ExitCode.TIME_LIMIT, state, reason };
      }
      if (errors.some((error) => EXECUTOR_LOST_PATTERNS.some((pattern) => pattern.test(error)))) {
        return { exitCode: ExitCode.EXECUTOR_LOST, state, reason };
      }
      if (recorded !== undefined && recorded > 0 && recorded <= 255) return { exitCode: recorded, state, reason };
      return { exitCode: ExitCode.JOB_FAILED, state, reason };
    }
    default:
      // Not finished: nothing to report yet.
      return { exitCode: ExitCode.SUCCESS, state };
  }
}
