/**
 * "Why is my job waiting?" on Kubernetes (issue #17): a pod the scheduler
 * cannot place (`PodScheduled=False`, reason `Unschedulable`) is called out
 * with the scheduler's message and what to do, since the backend fails it
 * once it has stayed so for `pendingTimeoutMs`. Kubernetes has no queue
 * position or start estimate to give: only the reason code and the words.
 */
import type { JobQueue } from '@pollinator/backend';

/** The queue of a pod that stayed unschedulable since `since` (epoch ms). */
export function unschedulableQueue(message: string, since: number, now: number, pendingTimeoutMs: number): JobQueue {
  const left = Math.max(0, Math.round((since + pendingTimeoutMs - now) / 1000));
  const why = message ? ` (${message})` : '';
  return {
    reasonCode: 'Unschedulable',
    blocked: `no node can take the job's pod${why}: lower conditions.cpu, conditions.mem or conditions.gpu, or ask your admins for room; it fails in ${left} s if still not scheduled`,
  };
}
