/**
 * Following a run across its attempts (issue #17, retries): when a followed
 * attempt fails and its executor submitted a retry (`POLLINATOR_RETRIED_AS`,
 * recorded before the close), `run` keeps going with the next attempt's
 * state and log and ends with the last attempt's outcome. Each attempt's log
 * stays on its own process.
 */
import type { PollinatorEvent, ProcessRetriedEvent, RunResult } from './events';
import { followUntilDone, type FollowProcessOptions } from './follow-process';
import { processAttempt, retriedAs } from './process-attempts';
import { attemptsAllowed } from './attempt-numbers';

/** `followUntilDone`, then the next attempt while there is one; the result is the last attempt's (its `processId` too). */
export async function followAttempts(options: FollowProcessOptions, emit: (event: PollinatorEvent) => void): Promise<RunResult> {
  let processId = options.processId;
  const seen = new Set<string>();
  for (;;) {
    seen.add(processId);
    const result = await followUntilDone({ ...options, processId }, emit);
    if (result.detached || result.state !== 'failed' || options.signal?.aborted) return result;
    const failed = await options.client.getProcess(processId, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
    const next = failed && retriedAs(failed);
    if (!failed || next === undefined || seen.has(next)) return result;
    const attempt = processAttempt(failed);
    const event: ProcessRetriedEvent = {
      type: 'process.retried',
      processId,
      retryProcessId: next,
      attempt: attempt.attempt + 1,
      attempts: attemptsAllowed(failed.spec.maxretries),
      ...(attempt.cause === undefined ? {} : { cause: attempt.cause }),
      ...(attempt.causeText === undefined ? {} : { causeText: attempt.causeText }),
    };
    emit(event);
    processId = next;
  }
}
