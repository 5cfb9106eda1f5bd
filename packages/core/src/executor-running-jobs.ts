/**
 * The processes this executor runs now: what each holds (cpu, memory,
 * staging dirs), how to stop them, and a wait for a slot to free.
 */
import { jobDemand, type JobDemand } from './executor-capacity';
import type { ExecutorClock, ExecutorTimer } from './executor-clock';
import { errorText } from './error-text';
import type { ExecutorReporter } from './executor-reporter';
import { stagedDirsOrNone } from './executor-staging-check';
import { shutdownStop, StopJob } from './executor-stop';
import type { ExecutorProcess, ShutdownMode } from './executor-types';

interface RunningJob {
  controller: AbortController;
  demand: JobDemand;
  /** Host paths of its staging dirs. */
  dirs: string[];
  task: Promise<void>;
}

export class RunningJobs {
  readonly #jobs = new Map<string, RunningJob>();
  readonly #fsDir: string;
  readonly #reporter: ExecutorReporter;
  readonly #clock: ExecutorClock;
  #slotFreed: (() => void) | undefined;

  constructor(fsDir: string, reporter: ExecutorReporter, clock: ExecutorClock) {
    this.#fsDir = fsDir;
    this.#reporter = reporter;
    this.#clock = clock;
  }

  get size(): number {
    return this.#jobs.size;
  }

  ids(): string[] {
    return [...this.#jobs.keys()];
  }

  demands(): JobDemand[] {
    return [...this.#jobs.values()].map((job) => job.demand);
  }

  /** Staging dirs (host paths) of the other processes running now. */
  dirsOfOthers(processId: string): string[] {
    return [...this.#jobs.entries()].filter(([id]) => id !== processId).flatMap(([, job]) => job.dirs);
  }

  /**
   * Runs `run` for `process`, counted as running until it settles. While
   * shutting down (`shutdown`), it starts stopped.
   */
  track(process: ExecutorProcess, run: (signal: AbortSignal) => Promise<void>, shutdown: ShutdownMode | undefined): void {
    const processId = process.processid;
    const controller = new AbortController();
    // The server re-queued a process we were still stopping and gave it back
    // to us: the new run starts once the old one has let go of it.
    const previous = this.#jobs.get(processId)?.task ?? Promise.resolve();
    const entry: RunningJob = {
      controller,
      demand: jobDemand(process.spec),
      dirs: stagedDirsOrNone(process.spec, this.#fsDir, processId).map((dir) => dir.hostPath),
      task: Promise.resolve(),
    };
    entry.task = previous
      .then(() => run(controller.signal))
      .catch((error: unknown) => this.#reporter.warn(`executor error: ${errorText(error)}`, { processId, cause: error }))
      .finally(() => {
        if (this.#jobs.get(processId) === entry) this.#jobs.delete(processId);
        this.#slotFreed?.();
      });
    this.#jobs.set(processId, entry);
    // Taken while shutting down (the assign poll in flight): cancelled in
    // `cancel` mode; otherwise started and detached, left in the state file.
    if (shutdown) controller.abort(new StopJob(shutdown === 'cancel' ? 'shutdown-cancel' : 'detach', 'executor shutting down'));
  }

  /** Stops every running job as a shutdown in `mode` does (`finish`: none). */
  stopAll(mode: ShutdownMode): void {
    for (const job of this.#jobs.values()) {
      const stop = shutdownStop(mode);
      if (stop) job.controller.abort(stop);
    }
  }

  /** Resolves when a job ends, `ms` have passed, or `signal` aborts. */
  waitForSlot(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ExecutorTimer | undefined;
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        timer?.clear();
        signal.removeEventListener('abort', done);
        if (this.#slotFreed === done) this.#slotFreed = undefined;
        resolve();
      };
      this.#slotFreed = done;
      signal.addEventListener('abort', done, { once: true });
      if (signal.aborted) done();
      else timer = this.#clock.setTimeout(done, ms);
    });
  }

  /** Resolves once no job runs (jobs a re-queue hands back meanwhile included). */
  async settle(): Promise<void> {
    while (this.#jobs.size > 0) {
      await Promise.allSettled([...this.#jobs.values()].map((job) => job.task));
    }
  }
}
