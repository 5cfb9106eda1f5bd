/**
 * Publishes where a pending job waits (issue #17, "why is my job waiting?"):
 * the backend's `status()` says it (`pending` with `queue`); this records it
 * on the process as the OUT attribute `POLLINATOR_QUEUE` (process-queue.ts)
 * for `status`, `run` and `--json`, and says it in the process log. Only on
 * change: the attribute when anything changed (reason, place, estimate), the
 * log line when the reason or the blocking problem changed (a moving place in
 * a busy queue is not worth a log line each time). Once the job runs, the
 * attribute is emptied (one write) and nothing more is published.
 */
import { sameJobQueue, type JobStatus } from './backend';
import type { ExecutorContext } from './executor-context';
import { describeProcessQueue, QUEUE_ATTRIBUTE, type ProcessQueue } from './process-queue';

export class JobQueuePublisher {
  readonly #context: ExecutorContext;
  readonly #processId: string;
  #published: ProcessQueue | undefined;
  #done = false;

  constructor(context: ExecutorContext, processId: string) {
    this.#context = context;
    this.#processId = processId;
  }

  /** False once the job left the queue: its status need not be read for this any more. */
  get active(): boolean {
    return !this.#done;
  }

  /** Publishes what changed since the last status (nothing when nothing did). */
  async observe(status: JobStatus): Promise<void> {
    if (this.#done) return;
    if (status.state !== 'pending') {
      this.#done = true;
      if (this.#published !== undefined) await this.#context.reporter.recordOutput(this.#processId, QUEUE_ATTRIBUTE, '');
      return;
    }
    if (status.queue === undefined) return;
    const queue: ProcessQueue = { ...status.queue, reason: status.reason };
    const last = this.#published;
    if (last !== undefined && last.reason === queue.reason && sameJobQueue(last, queue)) return;
    this.#published = queue;
    await this.#context.reporter.recordOutput(this.#processId, QUEUE_ATTRIBUTE, JSON.stringify(queue));
    if (last === undefined || last.reasonCode !== queue.reasonCode || last.blocked !== queue.blocked) {
      await this.#context.reporter.log(this.#processId, `Pollinator: waiting in the queue: ${describeProcessQueue(queue)}\n`);
    }
  }
}
