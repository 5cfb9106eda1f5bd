/**
 * Following one started job: its output streamed to the process log (with
 * the cursor saved, so a restart neither repeats nor skips), and a watcher
 * that stops the job when the process is cancelled, lost, or past its
 * deadline. The state of one follow is this object's, nothing else's.
 */
import { retry } from '@pollinator/backend';
import type { JobHandle, JobStatus, LogCursor } from './backend';
import type { ExecutorContext } from './executor-context';
import { JobQueuePublisher } from './executor-job-queue';
import { LogBatcher, type LogBatch } from './executor-log-batcher';
import { errorText } from './error-text';
import { statusOf } from './executor-reporter';
import type { ExecutorJobRecord } from './executor-state';
import { deadlineMargin, StopJob, watchDecision, type ProcessObservation } from './executor-stop';
import type { ExecutorProcess } from './executor-types';

/** A log batch is sent again this many times at most (a 4xx answer is final at once), after 0.5, 1 and 2 s. */
const LOG_SEND_RETRY = { retries: 3, initialDelayMs: 500 };
/** A failing read of the output resumes from the last chunk this many times at most, after 0.5 s doubling to 8 s. */
const OUTPUT_READ_RETRY = { retries: 5, initialDelayMs: 500, maxDelayMs: 8000 };
/** The delivered-output cursor is written to the state file at most this often. */
const CURSOR_SAVE_INTERVAL_MS = 1000;
/** The watcher never spins faster than this, even right at the deadline. */
const MIN_WATCH_INTERVAL_MS = 10;

function isClientError(error: unknown): boolean {
  const status = statusOf(error);
  return status !== undefined && status >= 400 && status < 500;
}

export class JobFollow {
  readonly #context: ExecutorContext;
  readonly #process: ExecutorProcess;
  readonly #handle: JobHandle;
  readonly #signal: AbortSignal;
  /** Aborted when the output need not be read any more (detached, or done). */
  readonly #logAbort = new AbortController();
  readonly #batcher: LogBatcher;
  /** Where the job waits while it is pending (executor-job-queue.ts). */
  readonly #queue: JobQueuePublisher;
  #stop: StopJob | undefined;
  #deadline: number | null;
  #cursor: LogCursor;
  #lastCursorSave = 0;
  #attributesSent = false;

  constructor(context: ExecutorContext, process: ExecutorProcess, record: ExecutorJobRecord, handle: JobHandle, signal: AbortSignal) {
    this.#context = context;
    this.#process = process;
    this.#handle = handle;
    this.#signal = signal;
    this.#deadline = record.deadline;
    this.#cursor = record.cursor;
    this.#batcher = new LogBatcher({ ...context.settings.logs, send: (batch) => this.#send(batch) });
    this.#queue = new JobQueuePublisher(context, process.processid);
  }

  /** Why following stopped early (read live: a shutdown may still set it while the job is being closed). */
  get stop(): StopJob | undefined {
    return this.#stop;
  }

  /** Streams the output to its end (or until detached) while watching; the job is over or stopped when it returns. */
  async run(): Promise<void> {
    const onAbort = () => this.#stopOnAbort();
    if (this.#signal.aborted) onAbort();
    else this.#signal.addEventListener('abort', onAbort, { once: true });
    const watcher = this.#watch();
    await this.#readOutput();
    if (this.#stop && this.#stop.reason !== 'detach' && !this.#logAbort.signal.aborted) {
      // make sure the job is really gone before closing
      await this.#context.settings.backend.cancel(this.#handle).catch(() => undefined);
    }
    this.#logAbort.abort();
    await watcher;
    await this.#batcher.close().catch(() => undefined);
    this.#context.state.update(this.#process.processid, { cursor: this.#cursor });
  }

  /**
   * Backend attributes (SLURM-JOBID, NODES, K8S-NAMESPACE, …) are recorded once,
   * as soon as the job is seen running — or, for a job shorter than one watch
   * tick, when its final status is read before the close.
   */
  async recordAttributes(status: JobStatus): Promise<void> {
    const backend = this.#context.settings.backend;
    if (this.#attributesSent || !backend.attributes || status.state === 'pending') return;
    this.#attributesSent = true;
    try {
      await this.#context.reporter.recordAttributes(this.#process.processid, await backend.attributes(this.#handle));
    } catch {
      // attributes are informational
    }
  }

  #stopOnAbort(): void {
    const reason: unknown = this.#signal.reason;
    this.#stop ??= reason instanceof StopJob ? reason : new StopJob('detach', 'executor shutting down');
    if (this.#stop.reason === 'detach') this.#logAbort.abort();
  }

  async #send(batch: LogBatch): Promise<void> {
    // Stopped for a reason that leaves the process to someone else: its log is not ours to add to.
    if (this.#stop && this.#stop.reason !== 'deadline' && this.#stop.reason !== 'shutdown-cancel') return;
    const connection = this.#context.connection;
    const clock = this.#context.settings.clock;
    try {
      await retry(() => connection.client.addLog(this.#process.processid, batch.text), {
        ...LOG_SEND_RETRY,
        pause: (ms, signal) => clock.sleep(ms, signal),
        shouldRetry: (error) => !isClientError(error),
      });
    } catch {
      // Refused (closed, cancelled, no longer ours): the watcher finds out why.
      void this.#check().catch(() => undefined);
      return;
    }
    if (batch.cursor === undefined) return;
    this.#cursor = batch.cursor;
    if (clock.now() - this.#lastCursorSave > CURSOR_SAVE_INTERVAL_MS) {
      this.#lastCursorSave = clock.now();
      this.#context.state.update(this.#process.processid, { cursor: this.#cursor });
    }
  }

  /** One look at the process: stops following when it was cancelled, lost, or is past its deadline. */
  async #check(): Promise<void> {
    if (this.#stop) return;
    const client = this.#context.connection.client;
    let observation: ProcessObservation;
    try {
      observation = { kind: 'process', process: await client.getProcess(this.#process.processid) };
    } catch (error) {
      observation = statusOf(error) === 404 ? { kind: 'missing' } : { kind: 'unreachable' };
    }
    const decision = watchDecision(observation, {
      deadline: this.#deadline,
      now: this.#context.settings.clock.now(),
      maxexectime: this.#process.spec.maxexectime,
      executorId: client.id,
    });
    this.#deadline = decision.deadline;
    if (decision.stop) this.#stop ??= decision.stop;
  }

  async #watch(): Promise<void> {
    const { backend, clock, watchIntervalMs } = this.#context.settings;
    while (!this.#stop && !this.#logAbort.signal.aborted) {
      const untilDeadline = this.#deadline === null ? Infinity : this.#deadline - deadlineMargin(this.#process.spec.maxexectime) - clock.now();
      await clock.sleep(Math.max(MIN_WATCH_INTERVAL_MS, Math.min(watchIntervalMs, untilDeadline)), this.#logAbort.signal);
      if (this.#logAbort.signal.aborted) return;
      await this.#check().catch(() => undefined);
      if ((!this.#attributesSent && backend.attributes) || this.#queue.active) {
        const status = await backend.status(this.#handle).catch((): JobStatus => ({ state: 'pending', reason: '' }));
        await this.#queue.observe(status).catch(() => undefined);
        await this.recordAttributes(status);
      }
      const stop = this.#stop as StopJob | undefined;
      if (stop && stop.reason !== 'detach') {
        // Cancel, deadline, lost or shutdown-cancel: stop the job; logs() then completes.
        await backend.cancel(this.#handle).catch((error: unknown) =>
          this.#context.reporter.warn(`could not cancel job: ${errorText(error)}`, { processId: this.#process.processid, cause: error }),
        );
        return;
      }
    }
  }

  /** Reads the output to its end; a failing read resumes from the last chunk (the cursor contract: no repeat, no gap). */
  async #readOutput(): Promise<void> {
    const { backend, clock } = this.#context.settings;
    const signal = this.#logAbort.signal;
    if (signal.aborted) return;
    let readCursor: LogCursor = this.#cursor;
    const readToEnd = async () => {
      try {
        for await (const chunk of backend.logs(this.#handle, readCursor, signal)) {
          this.#batcher.push(chunk.text, chunk.cursor);
          readCursor = chunk.cursor;
        }
      } catch (error) {
        if (!signal.aborted) {
          this.#context.reporter.warn(`reading the job output failed: ${errorText(error)}`, { processId: this.#process.processid, cause: error });
        }
        throw error;
      }
    };
    await retry(readToEnd, { ...OUTPUT_READ_RETRY, pause: (ms, pauseSignal) => clock.sleep(ms, pauseSignal), signal }).catch(() => undefined);
  }
}
