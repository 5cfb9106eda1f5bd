/**
 * The attempts of a run (issue #17, retries), read back for `run`, `status`
 * and `--json`. A retry after a failure the executor saw is a new process,
 * linked both ways: its spec's env names the attempt it retries
 * (`POLLINATOR_RETRY_OF`) and which attempt it is (`POLLINATOR_ATTEMPT`), and
 * the executor recorded `POLLINATOR_RETRIED_AS` (type OUT, so no submitter can
 * fake it) on the failed one before closing it. A re-queue by the server
 * (exec deadline, executor gone) stays in the same process and counts in
 * `retries`.
 */
import type { ColoniesClient, FunctionSpec, Process } from '@pollinator/colonies-client';
import { describeJobCauseShort, type JobCauseKind } from './backend';
import { processStateName, type ProcessStateName } from './events';
import { attemptOf, attemptsAllowed } from './attempt-numbers';
import { processCause } from './process-cause';
import { RunRecordKey } from './run-record-keys';

export interface ProcessAttempt {
  processId: string;
  /** 1-based; counts the server's re-queues of earlier attempts too. */
  attempt: number;
  state: ProcessStateName;
  /** Why it failed, when its executor recorded it. */
  cause?: JobCauseKind;
  /** The executor's line for the cause, without the fix ("killed: node failure (nid007)"). */
  causeText?: string;
  /** Re-queues by the server within this process (exec deadline). */
  requeues: number;
}

export interface AttemptChain {
  /** Every attempt found, first to last. */
  attempts: ProcessAttempt[];
  /** Attempts the spec allows (the first and `maxretries` more). */
  attemptsAllowed: number;
}

type AttemptSource = Pick<Process, 'processid' | 'state' | 'retries'> & Partial<Pick<Process, 'attributes'>> & { spec: Pick<FunctionSpec, 'maxretries' | 'env'> & Partial<FunctionSpec> };

const OUT = 1;
/** A chain is never longer than the largest budget plus the first (SPEC_LIMITS.retries is 100); a loop of hostile links ends here. */
const MAX_CHAIN = 101;

/** The process the executor submitted to retry this failed one, if any. */
export function retriedAs(process: Partial<Pick<Process, 'attributes'>>): string | undefined {
  return (process.attributes ?? []).filter((attribute) => attribute.key === RunRecordKey.retriedAs && attribute.attributetype === OUT && attribute.value !== '').at(-1)?.value;
}

/** The process this one retries, if it is a retry. */
export function retryOf(process: { spec: { env?: Record<string, string> | null } }): string | undefined {
  const value = process.spec.env?.[RunRecordKey.retryOf];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function processAttempt(process: AttemptSource): ProcessAttempt {
  const cause = processCause(process);
  const attempt: ProcessAttempt = {
    processId: process.processid,
    attempt: attemptOf({ spec: process.spec, retries: process.retries }),
    state: processStateName(process.state),
    requeues: process.retries > 0 ? process.retries : 0,
  };
  if (cause) {
    attempt.cause = cause.kind;
    attempt.causeText = cause.detail.split(' — ')[0] ?? describeJobCauseShort({ kind: cause.kind });
  }
  return attempt;
}

/** A spec to submit anew (a rerun): without the links of the attempt it was copied from. */
export function withoutAttemptLinks<T extends { env?: Record<string, string> | null }>(spec: T): T {
  if (!spec.env) return spec;
  const env = { ...spec.env };
  delete env[RunRecordKey.attempt];
  delete env[RunRecordKey.retryOf];
  return { ...spec, env };
}

/**
 * Every attempt of the run `processId` belongs to: back along
 * `POLLINATOR_RETRY_OF`, forward along `POLLINATOR_RETRIED_AS`. A link to a
 * process that is gone (removed by `gc`) ends the walk there.
 */
export async function getAttemptChain(options: { client: Pick<ColoniesClient, 'getProcess'>; processId: string; signal?: AbortSignal }): Promise<AttemptChain> {
  const { client, signal } = options;
  const read = (id: string) => client.getProcess(id, signal ? { signal } : {}).catch(() => undefined);
  const start = await client.getProcess(options.processId, signal ? { signal } : {});
  const seen = new Set([start.processid]);
  const before: Process[] = [];
  for (let id = retryOf(start); id !== undefined && !seen.has(id) && seen.size < MAX_CHAIN; ) {
    const process = await read(id);
    if (!process) break;
    seen.add(id);
    before.unshift(process);
    id = retryOf(process);
  }
  const after: Process[] = [];
  for (let id = retriedAs(start); id !== undefined && !seen.has(id) && seen.size < MAX_CHAIN; ) {
    const process = await read(id);
    if (!process) break;
    seen.add(id);
    after.push(process);
    id = retriedAs(process);
  }
  const chain = [...before, start, ...after];
  return { attempts: chain.map(processAttempt), attemptsAllowed: attemptsAllowed(chain.at(-1)!.spec.maxretries) };
}

function attemptOutcome(attempt: ProcessAttempt): string {
  if (attempt.state === 'success') return 'succeeded';
  if (attempt.state === 'waiting' || attempt.state === 'running') return attempt.state;
  return attempt.causeText ?? attempt.state;
}

/** One line: "attempt 1 of 3: killed: node failure (nid007) → attempt 2 of 3 succeeded". */
export function describeAttemptChain(chain: AttemptChain): string {
  return chain.attempts
    .map((attempt) => {
      const outcome = attemptOutcome(attempt);
      const head = `attempt ${attempt.attempt} of ${chain.attemptsAllowed}`;
      return attempt.state === 'failed' || attempt.state === 'cancelled' ? `${head}: ${outcome}` : `${head} ${outcome}`;
    })
    .join(' → ');
}
