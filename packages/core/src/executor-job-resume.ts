/**
 * After a restart: each process the state file records is re-attached and
 * followed again when it is still ours, and otherwise stopped, closed or
 * abandoned as what happened while the executor was down requires.
 */
import { rmSync } from 'node:fs';
import { UnreadableProcessError } from '@pollinator/colonies-client';
import type { JobHandle } from './backend';
import type { ExecutorContext } from './executor-context';
import { cleanUpJob, JobSession } from './executor-job-session';
import { jobWorkDir } from './executor-options';
import { stagedDirsOrNone } from './executor-staging-check';
import { statusOf } from './executor-reporter';
import type { ExecutorJobRecord } from './executor-state';
import { PROCESS_RUNNING } from './executor-stop';
import type { ExecutorProcess } from './executor-types';
import { executorError } from './validate-spec';

/** Stops the recorded job, if the backend still knows it. */
async function cancelRecordedJob(context: ExecutorContext, handle: JobHandle | null): Promise<void> {
  if (!handle) return;
  const backend = context.settings.backend;
  const again = await backend.reattach?.(handle).catch(() => undefined);
  if (again) await backend.cancel(again).catch(() => undefined);
}

/** The process, or undefined when it is gone or unreadable (then already dealt with). */
async function readRecordedProcess(context: ExecutorContext, record: ExecutorJobRecord): Promise<ExecutorProcess | undefined> {
  const processId = record.processId;
  try {
    return await context.connection.client.getProcess(processId);
  } catch (error) {
    if (statusOf(error) === 404) {
      await cancelRecordedJob(context, record.handle);
      context.state.remove(processId);
      return undefined;
    }
    if (UnreadableProcessError.isInstance(error)) {
      // Its spec cannot be read back: stop the job and fail the process rather than leave it RUNNING.
      await cancelRecordedJob(context, record.handle);
      const message = executorError(`the executor could not read the process after a restart (${error.message})`, 'Failed to execute process');
      await context.reporter.closeFailed(processId, message);
      rmSync(jobWorkDir(context.settings, processId), { recursive: true, force: true });
      context.state.remove(processId);
      return undefined;
    }
    throw error;
  }
}

export async function resumeJob(context: ExecutorContext, record: ExecutorJobRecord): Promise<void> {
  const { connection, reporter, settings } = context;
  const processId = record.processId;
  const process = await readRecordedProcess(context, record);
  if (!process) return;
  const ours = process.state === PROCESS_RUNNING && (!process.assignedexecutorid || process.assignedexecutorid === connection.client.id);
  if (!record.handle) {
    // Crashed while staging: the job never started.
    if (ours) await reporter.closeFailed(processId, executorError('the executor restarted before the job was started', 'Failed to start job'));
    await cleanUpJob(context, processId, process.spec, null);
    return;
  }
  const backend = settings.backend;
  const handle = await (backend.reattach ? backend.reattach(record.handle) : Promise.resolve(undefined)).catch(() => undefined);
  if (!ours) {
    // Cancelled, closed or re-queued while we were down: stop the job if it still runs.
    if (handle) await backend.cancel(handle).catch(() => undefined);
    reporter.emit({ type: 'process.abandoned', processId, reason: 'the process was no longer running on this executor after the restart' });
    await cleanUpJob(context, processId, process.spec, handle ?? null);
    return;
  }
  if (!handle) {
    const message = `executor lost the job: after a restart, the ${backend.name} backend no longer knows job ${record.handle.id}`;
    await reporter.closeFailed(processId, executorError(message, 'Failed to execute process'));
    await cleanUpJob(context, processId, process.spec, null);
    return;
  }
  reporter.emit({ type: 'job.reattached', processId, handle });
  // The job uses its snapshot dirs already: no job with another snapshot may restage them under it.
  context.staging.adopt(processId, process.spec, stagedDirsOrNone(process.spec, settings.fsDir, processId));
  const resumed = { ...record, handle };
  context.jobs.track(process, (signal) => new JobSession(context, process, signal).followToClose(resumed, handle), context.shutdownMode());
}
