/**
 * One process, from assign to close: refused early when its spec is not
 * runnable, staged (PreSync), started, followed, then closed by the close
 * decision table (after the PostSync upload) and cleaned up. A crash at any
 * point never leaves the process RUNNING for ever.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { isFinalJobStatus, type JobCause, type JobHandle, type JobStatus } from './backend';
import { decideClose, keepsProcess } from './executor-close-decision';
import type { ExecutorContext } from './executor-context';
import { closeCause, recordJobCause, startFailureCause } from './executor-job-cause';
import { startForwardRelay } from './executor-forward-relay';
import { JobFollow } from './executor-job-follow';
import { buildJobRequest } from './executor-job-request';
import { retryFailedAttempt } from './executor-retry';
import { jobWorkDir } from './executor-options';
import { recordImage, recordResultSnapshot } from './executor-run-record';
import { errorText } from './error-text';
import { stagedDirsOrNone, stagingProblem } from './executor-staging-check';
import { deadlineMargin, StopJob } from './executor-stop';
import type { ExecutorJobRecord } from './executor-state';
import type { ExecutorProcess } from './executor-types';
import { ExitCode } from './exit-codes';
import type { StagedDirectory } from './staging-paths';
import { executorError, validateFunctionSpec, type ExecutorSpec } from './validate-spec';

/** After the output ended, the final status is polled this often … */
const FINAL_STATUS_POLL_INTERVAL_MS = 200;
/** … this many times (30 s) before the job counts as never ending. */
const FINAL_STATUS_POLLS = 150;

/**
 * Removes what a job left: its staged files (as keepfiles/keepsnapshot say),
 * the backend's leftovers, its work dir and its state record.
 */
export async function cleanUpJob(context: ExecutorContext, processId: string, spec: ExecutorSpec, handle: JobHandle | null): Promise<void> {
  const dirs = stagedDirsOrNone(spec, context.settings.fsDir, processId);
  await context.staging.cleanFiles(processId, spec, dirs).catch(() => undefined);
  if (handle) await context.settings.backend.cleanup?.(handle).catch(() => undefined);
  rmSync(jobWorkDir(context.settings, processId), { recursive: true, force: true });
  context.state.remove(processId);
}

/** What the user of a forward is told when the relay stops with the job's follow. */
function forwardEndReason(stop: StopJob | undefined): string {
  if (stop === undefined) return 'the job ended';
  if (stop.reason === 'detach') return 'the executor stopped following the job (it runs on; forward again once an executor follows it)';
  return `the job was stopped (${stop.message})`;
}

export class JobSession {
  readonly #context: ExecutorContext;
  readonly #process: ExecutorProcess;
  readonly #signal: AbortSignal;
  readonly #dirs: StagedDirectory[];

  constructor(context: ExecutorContext, process: ExecutorProcess, signal: AbortSignal) {
    this.#context = context;
    this.#process = process;
    this.#signal = signal;
    this.#dirs = stagedDirsOrNone(process.spec, context.settings.fsDir, process.processid);
  }

  get #processId(): string {
    return this.#process.processid;
  }

  /** A newly assigned process, run to its close. */
  async execute(): Promise<void> {
    const { state, reporter, settings } = this.#context;
    const spec = this.#process.spec;
    const assignedAt = settings.clock.now();
    const record: ExecutorJobRecord = {
      processId: this.#processId,
      handle: null,
      cursor: '',
      assignedAt: new Date(assignedAt).toISOString(),
      deadline: spec.maxexectime > 0 ? assignedAt + spec.maxexectime * 1000 : null,
    };
    state.put(record);
    reporter.emit({ type: 'assigned', processId: this.#processId, funcname: spec.funcname });
    try {
      const handle = await this.#prepareAndStart();
      if (!handle) return;
      record.handle = handle;
      state.update(this.#processId, { handle });
      reporter.emit({ type: 'job.started', processId: this.#processId, handle });
      await this.followToClose(record, handle);
    } catch (error) {
      // Whatever went wrong, the process must not stay RUNNING for ever.
      if (this.#neverStarted()) {
        await reporter.closeFailed(this.#processId, executorError(`executor error: ${errorText(error)}`, 'Failed to start job'));
      }
      throw error;
    } finally {
      if (this.#neverStarted()) {
        // Never started (closed above, or a sync): nothing left to follow.
        if (spec.funcname === 'execute') await this.#context.staging.cleanFiles(this.#processId, spec, this.#dirs).catch(() => undefined);
        this.#context.staging.release(this.#processId);
        rmSync(jobWorkDir(settings, this.#processId), { recursive: true, force: true });
        state.remove(this.#processId);
      }
    }
  }

  /** Follows a started (or re-attached) job to the end, then uploads, records the exit code, closes and cleans up. */
  async followToClose(record: ExecutorJobRecord, handle: JobHandle): Promise<void> {
    const { reporter, staging, settings } = this.#context;
    const follow = new JobFollow(this.#context, this.#process, record, handle, this.#signal);
    // Forwards reach the job while it is followed: not after it ended, nor once this executor let go of it.
    const forward = startForwardRelay(this.#context, this.#process, handle);
    try {
      await follow.run();
    } finally {
      await forward?.stop(forwardEndReason(follow.stop));
    }
    // Left running for a restarted executor: the state file keeps the handle and cursor.
    if (follow.stop?.reason === 'detach') return;
    const status = await this.#finalStatus(handle);
    reporter.emit({ type: 'job.finished', processId: this.#processId, status });
    let uploadError: string | undefined;
    let cause: JobCause | undefined;
    if (keepsProcess(follow.stop)) {
      await follow.recordAttributes(status);
      cause = closeCause(status, follow.stop, this.#process.spec.maxexectime);
      await recordJobCause(this.#context, this.#processId, cause);
      await recordImage(this.#context, this.#process, handle);
      uploadError = await staging.postSync(this.#processId, this.#process.spec, this.#dirs);
      await recordResultSnapshot(this.#context, this.#processId, this.#dirs, uploadError);
    }
    const decision = decideClose({ stop: follow.stop, status, uploadError, backendName: settings.backend.name });
    if (decision.action === 'abandon') reporter.emit({ type: 'process.abandoned', processId: this.#processId, reason: decision.reason });
    else if (decision.action === 'close-successful') await reporter.closeSuccessful(this.#processId);
    else {
      // The next attempt exists (and is linked) before this one is closed.
      await retryFailedAttempt(this.#context, this.#process, cause);
      await reporter.closeFailed(this.#processId, decision.message, decision.exitCode);
    }
    await cleanUpJob(this.#context, this.#processId, this.#process.spec, handle);
  }

  #neverStarted(): boolean {
    return this.#context.state.get(this.#processId)?.handle === null;
  }

  /** Why the process cannot be run as given, checked before any staging work. */
  #refusal(): string | undefined {
    const spec = this.#process.spec;
    if (spec.funcname !== 'execute' && spec.funcname !== 'sync') {
      return `Unsupported funcname ${JSON.stringify(spec.funcname)} (this executor runs "execute" and "sync")`;
    }
    if (spec.funcname === 'execute') {
      const invalid = validateFunctionSpec(spec);
      if (invalid) return executorError(invalid, 'Failed to validate funcspec');
    }
    // A spec's dirs and labels are hostile until checked.
    return stagingProblem(spec, this.#context.settings.fsDir, this.#processId, this.#context.jobs.dirsOfOthers(this.#processId));
  }

  /** Refuses, stages and starts; the handle of the started job, or undefined when the process was closed instead. */
  async #prepareAndStart(): Promise<JobHandle | undefined> {
    const { reporter, staging, settings } = this.#context;
    const processId = this.#processId;
    const spec = this.#process.spec;
    const refusal = this.#refusal();
    if (refusal) return this.#refuse(refusal);
    const workDir = jobWorkDir(settings, processId);
    mkdirSync(workDir, { recursive: true });
    const job = spec.funcname === 'execute' ? buildJobRequest(this.#process, workDir, this.#dirs, settings.protectedPaths) : undefined;
    if (job && 'error' in job) return this.#refuse(job.error);
    const wait = this.#stagingWait();
    try {
      await staging.preSync(processId, spec, this.#dirs, wait.signal);
    } catch (error) {
      const deadline = wait.signal.aborted && wait.signal.reason instanceof StopJob && wait.signal.reason.reason === 'deadline';
      return this.#closeFailed(errorText(error), deadline ? ExitCode.TIME_LIMIT : ExitCode.SYNC_FAILED);
    } finally {
      wait.dispose();
    }
    if (spec.funcname === 'sync' || !job) {
      await reporter.closeSuccessful(processId);
      return undefined;
    }
    if (this.#signal.aborted && this.#context.shutdownMode() === 'cancel') {
      return this.#closeFailed(executorError('the executor was shut down before the job started', 'Failed to start job'));
    }
    try {
      return await settings.backend.start(job);
    } catch (error) {
      await recordJobCause(this.#context, processId, startFailureCause(errorText(error)));
      return this.#closeFailed(executorError(errorText(error), 'Failed to start job'));
    }
  }

  /**
   * What ends a wait for snapshot dirs another job uses (staging): the
   * executor's stop, or the exec deadline — the server re-queues the process
   * then, so it is closed (exit code 124) rather than started too late.
   */
  #stagingWait(): { signal: AbortSignal; dispose(): void } {
    const deadline = this.#context.state.get(this.#processId)?.deadline ?? null;
    if (deadline === null) return { signal: this.#signal, dispose: () => undefined };
    const { clock } = this.#context.settings;
    const controller = new AbortController();
    const maxexectime = this.#process.spec.maxexectime;
    const onStop = () => controller.abort(this.#signal.reason);
    if (this.#signal.aborted) onStop();
    else this.#signal.addEventListener('abort', onStop, { once: true });
    const timer = clock.setTimeout(
      () => controller.abort(new StopJob('deadline', `maxexectime of ${maxexectime} s exceeded while the job waited to be staged`)),
      Math.max(0, deadline - deadlineMargin(maxexectime) - clock.now()),
    );
    return {
      signal: controller.signal,
      dispose: () => {
        timer.clear();
        this.#signal.removeEventListener('abort', onStop);
      },
    };
  }

  /**
   * Closes a process whose spec this executor will not run. Its command never
   * ran, so the cause is "could not start" (the spec, or its image): `status`
   * says so instead of showing a failure without a cause.
   */
  async #refuse(message: string): Promise<undefined> {
    await recordJobCause(this.#context, this.#processId, startFailureCause(message));
    return this.#closeFailed(message);
  }

  /** Closes the process failed before its job started (nothing to follow). */
  async #closeFailed(message: string, exitCode?: number): Promise<undefined> {
    await this.#context.reporter.closeFailed(this.#processId, message, exitCode);
    return undefined;
  }

  /** The job's final status; a job whose output ended but that never reports an end is stopped and counts as failed. */
  async #finalStatus(handle: JobHandle): Promise<JobStatus> {
    const { backend, clock } = this.#context.settings;
    const read = () => backend.status(handle).catch((error: unknown): JobStatus => ({ state: 'pending', reason: errorText(error) }));
    let status = await read();
    for (let polls = 0; !isFinalJobStatus(status) && polls < FINAL_STATUS_POLLS; polls += 1) {
      await clock.sleep(FINAL_STATUS_POLL_INTERVAL_MS);
      status = await read();
    }
    if (isFinalJobStatus(status)) return status;
    await backend.cancel(handle).catch(() => undefined);
    return {
      state: 'failed',
      exitCode: null,
      reason: `the ${backend.name} backend reported no end of the job (last status: ${status.state}${'reason' in status ? `, ${status.reason}` : ''})`,
    };
  }
}
