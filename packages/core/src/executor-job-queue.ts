/**
 * Publishes where a pending job waits (issue #17, "why is my job waiting?"):
 * the backend's `status()` says it (`pending` with `queue`); this records it
 * on the process for `status`, `run` and `--json` (process-queue.ts) and says
 * it in the process log.
 *
 * ColonyOS attributes are add-only (colonies-protocol.md): a change is a new
 * OUT attribute `POLLINATOR_QUEUE_<n>`, `n` the time of the change in ms
 * (unique across executor restarts); readers take the highest. So the server
 * keeps little: a new record only when the reason or the blocking problem
 * changed, or when only the place or the estimate did, at most once a
 * minute; at most `MAX_RECORDS` a job; a log line only when the reason or the
 * blocking problem changed. Once the job runs, one empty record ends it.
 */
import { sameJobQueue, type JobStatus } from './backend';
import type { ExecutorContext } from './executor-context';
import { describeProcessQueue, queueAttributeKey, type ProcessQueue } from './process-queue';

/** A change of place or estimate alone is recorded at most this often. */
export const QUEUE_DETAIL_INTERVAL_MS = 60_000;
/** Records a job may add while it waits (the empty one when it starts comes on top). */
export const MAX_RECORDS = 100;

export class JobQueuePublisher {
  readonly #context: ExecutorContext;
  readonly #processId: string;
  #published: ProcessQueue | undefined;
  #publishedAt = 0;
  #lastKey = 0;
  #records = 0;
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
      if (this.#published !== undefined) await this.#record('');
      return;
    }
    if (status.queue === undefined || this.#records >= MAX_RECORDS) return;
    const queue: ProcessQueue = { ...status.queue, reason: status.reason };
    const last = this.#published;
    if (last !== undefined && last.reason === queue.reason && sameJobQueue(last, queue)) return;
    const newReason = last === undefined || last.reasonCode !== queue.reasonCode || last.blocked !== queue.blocked;
    const now = this.#context.settings.clock.now();
    if (!newReason && now - this.#publishedAt < QUEUE_DETAIL_INTERVAL_MS) return;
    this.#published = queue;
    this.#publishedAt = now;
    this.#records += 1;
    await this.#record(JSON.stringify(queue));
    if (newReason) await this.#context.reporter.log(this.#processId, `Pollinator: waiting in the queue: ${describeProcessQueue(queue)}\n`);
  }

  async #record(value: string): Promise<void> {
    this.#lastKey = Math.max(this.#lastKey + 1, this.#context.settings.clock.now());
    await this.#context.reporter.recordOutput(this.#processId, queueAttributeKey(this.#lastKey), value);
  }
}
