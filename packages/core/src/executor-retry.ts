/**
 * Retries that retry (issue #17). Two mechanisms, one budget (`maxretries`):
 *
 * - The server's own re-queue: a process still RUNNING past its exec
 *   deadline (its executor died or lost the server) goes back to WAITING
 *   while `retries < maxretries`, in the same process, so its log continues.
 *   Nothing to do here but count it (`process.retries`).
 * - A linked resubmission for every cause the executor sees end a job (node
 *   failure, preemption, out of memory, time limit, an exit code): the
 *   server never re-queues a closed process, so the executor, a colony
 *   member, submits the next attempt with the same spec (grown by the
 *   policy), links both ways (`POLLINATOR_RETRY_OF` and `POLLINATOR_ATTEMPT`
 *   in the new spec's env, `POLLINATOR_RETRIED_AS` on the failed one) and
 *   then closes the failed attempt with its cause. Each attempt is its own
 *   process, so the log of every attempt is kept.
 *
 * Which causes are retried comes from the spec's env (`retry-policy.ts`):
 * by default a node failure and a preemption, never a cancel.
 */
import type { FunctionSpecInput } from '@pollinator/colonies-client';
import { grownValue, RETRY_GROWTH_LIMITS, retryPolicyFromEnv, type RetryOn, type RetryPolicy } from '@pollinator/spec-builder';
import { describeJobCauseShort, type JobCause, type JobCauseKind } from './backend';
import type { ExecutorContext } from './executor-context';
import type { ExecutorProcess } from './executor-types';
import { errorText } from './error-text';
import { parseMemoryBytes } from './resource-units';
import { RunRecordKey } from './run-record-keys';
import { attemptOf, attemptsAllowed } from './attempt-numbers';

export { attemptOf, attemptsAllowed } from './attempt-numbers';

const RUNNING = 1;

/** Causes that `any-failure` stands for: every end but a success or a cancel. */
const ANY_FAILURE: readonly JobCauseKind[] = ['failed', 'out-of-memory', 'time-limit', 'node-failure', 'preempted'];

/** Whether `policy` retries a job that ended with `cause`. A node that failed to boot is a node failure. */
export function retriesCause(policy: Pick<RetryPolicy, 'on'>, cause: JobCause): boolean {
  const kind: JobCauseKind = cause.kind === 'could-not-start' && cause.startProblem === 'boot' ? 'node-failure' : cause.kind;
  return policy.on.some((entry: RetryOn) => (entry === 'any-failure' ? ANY_FAILURE.includes(kind) : entry === kind));
}

export type RetryDecision = { retry: true; attempt: number; of: number } | { retry: false; why: string };

/** Whether the failed attempt `process` gets another, and which one it would be. */
export function decideRetry(process: ExecutorProcess & { retries?: number }, cause: JobCause | undefined): RetryDecision {
  if (!cause) return { retry: false, why: 'no failure cause' };
  const policy = retryPolicyFromEnv(process.spec.env);
  if (!retriesCause(policy, cause)) return { retry: false, why: `retryOn does not include ${cause.kind}` };
  const attempt = attemptOf(process);
  const of = attemptsAllowed(process.spec.maxretries);
  if (attempt >= of) return { retry: false, why: `attempt ${attempt} of ${of} was the last` };
  return { retry: true, attempt: attempt + 1, of };
}

/** `n` bytes as the spec's memory string, whole MiB rounded up (the unit the server stores). */
function memoryText(bytes: number): string {
  return `${Math.ceil(bytes / 2 ** 20)}Mi`;
}

/**
 * The spec of the next attempt: the failed one's, linked to it, with more
 * memory after an out-of-memory kill and more time after a time limit when
 * the policy says so, bounded by the spec limits. A copy: the failed
 * process's spec is not touched.
 */
export function nextAttemptSpec(process: ExecutorProcess, cause: JobCause, attempt: number): FunctionSpecInput {
  const spec = structuredClone(process.spec) as unknown as FunctionSpecInput & { conditions: { mem?: string; walltime?: number } };
  const policy = retryPolicyFromEnv(process.spec.env);
  spec.env = { ...(spec.env ?? {}), [RunRecordKey.attempt]: String(attempt), [RunRecordKey.retryOf]: process.processid };
  if (cause.kind === 'out-of-memory' && policy.memoryFactor > 1) {
    const bytes = parseMemoryBytes(spec.conditions.mem ?? '');
    if (bytes !== undefined && bytes > 0) spec.conditions.mem = memoryText(grownValue(bytes, policy.memoryFactor, RETRY_GROWTH_LIMITS.memoryBytes));
  }
  if (cause.kind === 'time-limit' && policy.walltimeFactor > 1) {
    const limit = RETRY_GROWTH_LIMITS.walltimeSeconds;
    const walltime = spec.conditions.walltime ?? 0;
    if (walltime > 0) spec.conditions.walltime = grownValue(walltime, policy.walltimeFactor, limit);
    const maxexectime = spec.maxexectime ?? -1;
    if (maxexectime > 0) spec.maxexectime = Math.min(grownValue(maxexectime, policy.walltimeFactor, limit), spec.conditions.walltime ?? limit);
  }
  return spec;
}

/** True while the process is RUNNING and assigned to this executor (not re-queued by the server, not cancelled). */
async function stillOurs(context: ExecutorContext, processId: string): Promise<boolean> {
  const client = context.connection.client;
  const current = await client.getProcess(processId).catch(() => undefined);
  return current !== undefined && current.state === RUNNING && (client.id === undefined || current.assignedexecutorid === client.id);
}

/**
 * Submits the next attempt of a failed process when its policy and budget
 * allow, before the failed one is closed (so whoever follows it finds
 * `POLLINATOR_RETRIED_AS` as soon as it is closed). Returns the new
 * process id, or undefined (no retry, or the submit failed: said in the log,
 * and the failed attempt is closed as it would have been).
 */
export async function retryFailedAttempt(context: ExecutorContext, process: ExecutorProcess, cause: JobCause | undefined): Promise<string | undefined> {
  const decision = decideRetry(process, cause);
  if (!decision.retry || !cause) return undefined;
  const { reporter, connection } = context;
  const processId = process.processid;
  const submit = connection.client.submit?.bind(connection.client);
  const what = `attempt ${decision.attempt - 1} of ${decision.of} ${describeJobCauseShort(cause)}`;
  if (!submit) {
    reporter.warn('this executor\'s client cannot submit, so the failed attempt is not retried', { processId });
    return undefined;
  }
  if (!(await stillOurs(context, processId))) {
    // Past its exec deadline the server re-queued it (or it is gone): that re-queue is the retry.
    reporter.warn('the failed attempt is no longer assigned to this executor, so it is not retried here', { processId });
    return undefined;
  }
  try {
    const next = await submit(nextAttemptSpec(process, cause, decision.attempt));
    await reporter.recordOutput(processId, RunRecordKey.retriedAs, next.processid);
    await reporter.log(processId, `Pollinator: ${what}; retrying as attempt ${decision.attempt} of ${decision.of}: process ${next.processid}\n`);
    reporter.emit({ type: 'process.retried', processId, retryProcessId: next.processid, attempt: decision.attempt, attempts: decision.of, cause: cause.kind });
    return next.processid;
  } catch (error) {
    reporter.warn(`could not submit the retry of a failed attempt: ${errorText(error)}`, { processId, cause: error });
    await reporter.log(processId, `Pollinator: ${what}; the retry could not be submitted (${errorText(error)})\n`);
    return undefined;
  }
}
