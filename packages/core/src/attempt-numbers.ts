// Attempt numbers of a retried run (issue #17), apart from the retry policy in
// `executor-retry.ts`: reading them needs no spec-builder (zod, yaml), so
// `pollinator status` can show a run's attempts without loading the parser.
import { RunRecordKey } from './run-record-keys';

/** Which attempt a process is: its spec's `POLLINATOR_ATTEMPT` (1 when absent) plus the server's re-queues of it. */
export function attemptOf(process: { spec: { env?: Record<string, string> | null }; retries?: number }): number {
  const declared = Number(process.spec.env?.[RunRecordKey.attempt]);
  const first = Number.isInteger(declared) && declared >= 1 ? declared : 1;
  const requeues = Number.isInteger(process.retries) && process.retries! > 0 ? process.retries! : 0;
  return first + requeues;
}

/** Every attempt the spec allows: the first and `maxretries` more. */
export function attemptsAllowed(maxretries: number): number {
  return Number.isInteger(maxretries) && maxretries > 0 ? maxretries + 1 : 1;
}
