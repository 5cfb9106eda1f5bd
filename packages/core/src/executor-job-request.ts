/** The backend's `JobRequest` for a validated `execute` process. */
import { ignoreStopSignal } from '@pollinator/backend';
import { readStopSignal } from '@pollinator/spec-builder';
import type { JobRequest } from './backend';
import type { ExecutorProcess } from './executor-types';
import type { StagedDirectory } from './staging-paths';
import { buildCommand, executorError, jobPlacement, jobResources, parseKwargs, substituteProcessId } from './validate-spec';

/**
 * The job for `process`, or the error its kwargs give. `protectedPaths` are
 * what no job may see or reach: the executor's own state (its key, the state
 * file, other jobs' work dirs), the whole staging root (a job gets its own
 * staged dirs as mounts, nothing else of it) and what the caller adds.
 */
export function buildJobRequest(
  process: ExecutorProcess,
  workDir: string,
  dirs: readonly StagedDirectory[],
  protectedPaths: string[],
): JobRequest | { error: string } {
  const spec = process.spec;
  const kwargs = parseKwargs(spec);
  if ('error' in kwargs) return { error: executorError(kwargs.error) };
  const stopSignal = readStopSignal(spec);
  if (stopSignal && 'error' in stopSignal) return { error: executorError(stopSignal.error) };
  const env: Record<string, string> = { ...(spec.env ?? {}), COLONIES_PROCESS_ID: process.processid };
  // One mount per staged dir of this job, never the whole staging root (issue #13, case 2).
  const mounts = new Map(
    [...dirs]
      .sort((a, b) => a.containerPath.localeCompare(b.containerPath))
      .map((dir) => [dir.containerPath, { hostPath: dir.hostPath, containerPath: dir.containerPath }]),
  );
  return {
    processId: process.processid,
    image: kwargs.image,
    rebuildImage: kwargs.rebuildImage,
    // With a stop signal, the shells around the job catch it and carry on: the job's program acts on it.
    initCommand: ignoreStopSignal(substituteProcessId(kwargs.initCommand, process.processid), stopSignal),
    command: ignoreStopSignal(buildCommand(kwargs, process.processid), stopSignal),
    env,
    resources: jobResources(spec),
    mounts: [...mounts.values()],
    protectedPaths,
    placement: jobPlacement(spec),
    workDir,
    ...(stopSignal ? { stopSignal } : {}),
  };
}
