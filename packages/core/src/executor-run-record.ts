/**
 * What the executor adds to a run's process record before it closes it
 * (issue #14, "every run is a record"): the image the job ran and its digest,
 * and the snapshot of the results. Attributes of type OUT, added while the
 * process is RUNNING (only its assigned executor may). None of them decides
 * the outcome: a failure is a warning in the process log, and the process is
 * closed as the job's outcome says.
 */
import type { JobHandle } from './backend';
import type { ExecutorContext } from './executor-context';
import { resultDirectory } from './executor-result-snapshot';
import type { ExecutorProcess } from './executor-types';
import { errorText } from './error-text';
import { RunRecordKey } from './run-record-keys';
import type { StagedDirectory } from './staging-paths';
import { parseKwargs } from './validate-spec';

/** Logs a warning to the process log and as an executor event. */
async function warnRun(context: ExecutorContext, processId: string, message: string, cause?: unknown): Promise<void> {
  context.reporter.warn(message, { processId, ...(cause !== undefined ? { cause } : {}) });
  await context.reporter.log(processId, `Pollinator: warning: ${message}\n`);
}

/** `POLLINATOR_IMAGE` (the spec's `kwargs["docker-image"]`, when it names one) and `POLLINATOR_IMAGE_DIGEST` (when the backend resolves one). */
export async function recordImage(context: ExecutorContext, process: ExecutorProcess, handle: JobHandle): Promise<void> {
  const processId = process.processid;
  const kwargs = parseKwargs(process.spec);
  if ('error' in kwargs || kwargs.image === '') return;
  await context.reporter.recordOutput(processId, RunRecordKey.image, kwargs.image);
  const backend = context.settings.backend;
  if (backend.usesImages === false) {
    await context.reporter.recordOutput(processId, RunRecordKey.imageUsed, 'false');
    return;
  }
  if (!backend.imageDigest) return;
  let digest: string | undefined;
  try {
    digest = await backend.imageDigest(handle);
  } catch (error) {
    await warnRun(context, processId, `could not read the digest of image ${kwargs.image} (${backend.name}): ${errorText(error)}`, error);
    return;
  }
  if (digest) await context.reporter.recordOutput(processId, RunRecordKey.imageDigest, digest);
}

/**
 * `POLLINATOR_RESULT_SNAPSHOT`: after PostSync uploaded the results (the job
 * succeeded or failed alike), the result label is snapshotted under the
 * process id. Not when the upload failed: the label would hold a part of them.
 */
export async function recordResultSnapshot(
  context: ExecutorContext,
  processId: string,
  dirs: readonly StagedDirectory[],
  uploadError: string | undefined,
): Promise<void> {
  const result = resultDirectory(dirs);
  if (!result || !context.settings.cfs) return;
  if (uploadError !== undefined) {
    await warnRun(context, processId, `no snapshot of the results was taken: they could not all be uploaded to ${result.label}`);
    return;
  }
  let snapshotId: string | undefined;
  try {
    snapshotId = await context.staging.snapshotResults(processId, dirs);
  } catch (error) {
    await warnRun(context, processId, `could not snapshot the results (label ${result.label}): ${errorText(error)}; they are in the label, but this run's record does not point to them`, error);
    return;
  }
  if (snapshotId) await context.reporter.recordOutput(processId, RunRecordKey.resultSnapshot, snapshotId);
}
