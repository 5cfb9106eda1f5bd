/**
 * What a local job handle carries (`JobHandle.data`: it is saved in the
 * executor's state and read back after a restart) and how it is read.
 */
import { BackendError, jobHandleCodec, type JobHandle } from '@pollinator/backend';
import type { LocalMode } from './local-mode';
import { LOCAL_BACKEND_NAME } from './local-options';

export interface LocalHandleData {
  [key: string]: unknown;
  workDir: string;
  mode: LocalMode;
  /** Start time of the supervisor in clock ticks since boot (/proc/<pid>/stat), against pid reuse. */
  startTicks: string | null;
  containerName: string | null;
  /** The job's JOB_MARKER_ENV value (plain processes), to find children that left its process group. */
  marker?: string;
  /** The image a container job runs. */
  image?: string;
}

/** Local handles: `read` throws `BackendError` for a handle without a work directory. */
export const localHandles = jobHandleCodec<LocalHandleData>({
  backend: LOCAL_BACKEND_NAME,
  decode: (data) => (typeof data.workDir === 'string' ? (data as LocalHandleData) : undefined),
  invalid: (handle) => `handle of process ${handle.processId} has no work directory`,
});

/** The handle's id: the supervisor's pid. */
export function supervisorPid(handle: JobHandle): number {
  const pid = Number(handle.id);
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    throw new BackendError(LOCAL_BACKEND_NAME, `invalid local job id ${JSON.stringify(handle.id)}`);
  }
  return pid;
}
