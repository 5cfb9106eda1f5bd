/**
 * Starting an executor: the backend's preflight, its identity, the `execute`
 * function, the jobs a previous run left (re-attached or settled), and the
 * temporary files an interrupted staging left behind.
 */
import { removeStaleTempFiles } from '@pollinator/cfs-sync';
import type { ExecutorContext } from './executor-context';
import { establishIdentity } from './executor-identity';
import { resumeJob } from './executor-job-resume';
import { errorText } from './error-text';

export interface ExecutorReady {
  executorName: string | undefined;
  executorId: string;
}

/**
 * Temporary files a crashed download left in the staging root (tens of MB
 * each, issue #13 case 11). At start nothing of this executor is staging.
 */
async function removeLeftovers(context: ExecutorContext): Promise<void> {
  const fsDir = context.settings.fsDir;
  try {
    const removed = await removeStaleTempFiles(fsDir);
    if (removed.files > 0) {
      context.reporter.warn(`removed ${removed.files} temporary file(s) (${removed.bytes} bytes) an interrupted staging left in ${fsDir}`);
    }
  } catch (error) {
    context.reporter.warn(`could not remove leftover temporary files in ${fsDir}: ${errorText(error)}`, { cause: error });
  }
}

export async function startExecutor(context: ExecutorContext): Promise<ExecutorReady> {
  const { settings, connection, reporter } = context;
  // Before registering: an executor whose backend cannot run anything (no
  // cluster, no sbatch) must not take jobs only to fail each one. The
  // BackendPreflightError it throws rejects `ready`; the CLI exits 78.
  await settings.backend.preflight?.();
  await establishIdentity(context);
  const executorId = connection.client.id!;
  const executorName = settings.executorName;
  reporter.emit({ type: 'registered', executorName: executorName ?? '', executorId, selfRegistered: Boolean(settings.register) });
  if (executorName) {
    const colony = settings.colonyName ? { colonyname: settings.colonyName } : {};
    await connection.client.addFunction({ funcname: 'execute', executorname: executorName, ...colony }).catch(() => undefined);
  }
  for (const record of context.state.jobs()) {
    try {
      await resumeJob(context, record);
    } catch (error) {
      reporter.warn(`could not resume: ${errorText(error)}`, { processId: record.processId, cause: error });
    }
  }
  await removeLeftovers(context);
  return { executorName, executorId };
}
