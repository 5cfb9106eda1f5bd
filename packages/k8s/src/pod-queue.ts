/**
 * "Why is my job waiting?" on Kubernetes (issue #17): a pod the scheduler
 * cannot place (`PodScheduled=False`, reason `Unschedulable`) is called out
 * with the scheduler's message and what to do, since the backend fails it
 * once it has stayed so for `pendingTimeoutMs`. Kubernetes has no queue
 * position or start estimate to give: only the reason code and the words.
 */
import type { JobQueue } from '@pollinator/backend';

/** `15:39:10 UTC`: when an unschedulable pod is failed. */
function utcTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(11, 19)} UTC`;
}

/**
 * The queue of a pod that stayed unschedulable since `since` (epoch ms). The
 * words do not change while the scheduler's message does not: the executor
 * logs every new `blocked` text (a countdown would add a log line and a
 * process attribute at every status read), so the deadline is a time, not a
 * number of seconds left.
 */
export function unschedulableQueue(message: string, since: number, pendingTimeoutMs: number): JobQueue {
  const why = message ? ` (${message})` : '';
  return {
    reasonCode: 'Unschedulable',
    blocked: `no node can take the job's pod${why}: lower conditions.cpu, conditions.mem or conditions.gpu, or ask your admins for room; it fails at ${utcTime(since + pendingTimeoutMs)} if still not scheduled`,
  };
}
